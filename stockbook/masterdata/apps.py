from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "stockbook.masterdata"
    label = "masterdata"
