from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "stockbook.purchasing"
    label = "purchasing"
    verbose_name = "采购管理"

    def ready(self):
        from . import hooks

        hooks.register()
