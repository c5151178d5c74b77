from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "stockbook.interchange"
    label = "interchange"
