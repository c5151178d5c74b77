from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "stockbook.batches"
    label = "batches"
    verbose_name = "批次与效期"
