from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "lianxin.transfer"
    label = "transfer"
    verbose_name = "批量导入导出"
