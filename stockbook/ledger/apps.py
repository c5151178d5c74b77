from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "stockbook.ledger"
    label = "ledger"
