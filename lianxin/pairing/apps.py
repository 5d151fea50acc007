from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "lianxin.pairing"
    label = "pairing"
    verbose_name = "结对"
