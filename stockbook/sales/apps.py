from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "stockbook.sales"
    label = "sales"
    verbose_name = "销售管理"

    def ready(self):
        from stockbook.posting import extensions

        from . import hooks, service

        extensions.on_post(hooks.after_delivery, types=["sales_delivery"])
        extensions.on_post(hooks.after_issue, types=["transfer", "scrap"])
        extensions.on_void(hooks.void_delivery, types=["sales_delivery"])
        extensions.credit_override_provider(hooks.credit_override)
        service.register_executor()
