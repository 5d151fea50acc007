from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "lianxin.pairing"
    label = "pairing"
    verbose_name = "结对"

    def ready(self) -> None:
        from lianxin.core.signals import coverage_changed

        from .repair_offer import on_coverage_changed

        coverage_changed.connect(on_coverage_changed, dispatch_uid="pairing-repair-offer")
