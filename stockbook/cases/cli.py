"""Subcommands of the cases app (registered through stockbook.cli.CLI_PLUGINS)."""


def register(sub):
    pass
