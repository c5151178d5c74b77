from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "stockbook.stock"
    label = "stock"
