from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "stockbook.cases"
    label = "cases"
    verbose_name = "差异工单与签核"
