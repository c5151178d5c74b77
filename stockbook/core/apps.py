from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "stockbook.core"
    label = "core"
