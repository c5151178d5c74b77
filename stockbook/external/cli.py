"""Subcommands of the external app (registered through stockbook.cli.CLI_PLUGINS)."""


def register(sub):
    pass
