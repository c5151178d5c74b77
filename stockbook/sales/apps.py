from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "stockbook.sales"
    label = "sales"
    verbose_name = "销售管理"
