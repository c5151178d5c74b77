from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "stockbook.core"
    label = "core"

    def ready(self):
        from django.db.backends.signals import connection_created

        from .sqlite import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="stockbook-sqlite-checkpoint")
