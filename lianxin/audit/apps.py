from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lianxin.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from lianxin.core.keys import register_evidence

        from .verify import last_row_agrees

        # A missing audit-key canary is written at start only when the chain's last row agrees.
        register_evidence("audit", last_row_agrees)
