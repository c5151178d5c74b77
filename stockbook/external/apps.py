from django.apps import AppConfig


class ExternalConfig(AppConfig):
    name = "stockbook.external"
    label = "external"
    verbose_name = "外部对账"
