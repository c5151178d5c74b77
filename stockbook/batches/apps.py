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
        from stockbook.web import panels

        from .views import document_panel_of

        panels.register(document_panel_of)
        try:
            from stockbook.notify.events import register_event
        except ImportError:
            return
        register_event("batch.near", "批次近效期")
        register_event("batch.expired", "批次已过期")
