"""Subcommands of the recon app (registered through stockbook.cli.CLI_PLUGINS)."""


def register(sub):
    pass
