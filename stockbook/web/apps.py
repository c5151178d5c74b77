from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "stockbook.web"
    label = "web"
