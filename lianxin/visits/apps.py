from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "lianxin.visits"
    label = "visits"
    verbose_name = "走访"
