from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "lianxin.people"
    label = "people"
    verbose_name = "户籍与企业"
