from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReconConfig(AppConfig):
    name = "stockbook.recon"
    label = "recon"
    verbose_name = "对账引擎"

    def ready(self):
        from .service import ensure_kb_after_migrate

        post_migrate.connect(ensure_kb_after_migrate, sender=self)
