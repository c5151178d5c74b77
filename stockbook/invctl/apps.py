from django.apps import AppConfig


class InvctlConfig(AppConfig):
    name = "stockbook.invctl"
    label = "invctl"
    verbose_name = "库存控制"
