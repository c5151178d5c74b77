"""Command-line commands of this app (registered through stockbook.cli.CLI_PLUGINS)."""


def register(sub):
    return None
