from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "stockbook.reports"
    label = "reports"
