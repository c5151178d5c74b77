from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "stockbook.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self):
        from . import signals

        signals.connect()
