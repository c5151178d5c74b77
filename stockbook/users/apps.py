from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "stockbook.users"
    label = "users"
