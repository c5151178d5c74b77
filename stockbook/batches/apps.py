from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "stockbook.batches"
    label = "batches"
    verbose_name = "批次与效期"

    def ready(self):
        from stockbook.posting import extensions

        from . import service

        extensions.on_post(service.on_post, types=service.STOCK_DOC_TYPES)
        extensions.on_void(service.on_void, types=service.STOCK_DOC_TYPES)
