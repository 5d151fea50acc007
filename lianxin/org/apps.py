from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "lianxin.org"
    label = "org"
    verbose_name = "单位与干部"
