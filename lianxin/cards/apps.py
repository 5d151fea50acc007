from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "lianxin.cards"
    label = "cards"
    verbose_name = "连心卡"
