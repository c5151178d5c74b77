from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "stockbook.access"
    label = "access"
    verbose_name = "权限与数据范围"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import ensure_roles_after_migrate

        post_migrate.connect(ensure_roles_after_migrate, sender=self)
