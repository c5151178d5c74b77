from django.apps import AppConfig


class PostingConfig(AppConfig):
    name = "stockbook.posting"
    label = "posting"
