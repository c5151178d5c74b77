from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "stockbook.dashboard"
    label = "dashboard"
    verbose_name = "对账看板"
