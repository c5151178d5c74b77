from django.apps import AppConfig


class ReconConfig(AppConfig):
    name = "stockbook.recon"
    label = "recon"
    verbose_name = "对账引擎"
