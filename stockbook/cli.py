"""The ``stockbook`` command (contract section 1 and more)."""
import argparse
import os
import sys

# Apps that add their own subcommands: each module has ``register(sub)`` which adds parsers and sets
# ``run=<callable(args) -> exit status>`` with ``set_defaults``; the callable runs after Django is set up.
CLI_PLUGINS: list[str] = ["stockbook.backup.cli", "stockbook.jobs.cli", "stockbook.audit.cli", "stockbook.approvals.cli", "stockbook.posting.cli", "stockbook.users.ldap_cli",
                          "stockbook.recon.cli", "stockbook.cases.cli", "stockbook.external.cli",
                          "stockbook.purchasing.cli", "stockbook.sales.cli", "stockbook.batches.cli", "stockbook.invctl.cli"]

REPORTS = ("trial-balance", "stock-balance", "reconcile", "general-ledger", "detail-ledger", "item-ledger", "stock-summary", "moves",
           "ar-aging", "ap-aging", "statement", "dunning", "ar-instalments", "ap-instalments")


def _setup(db: str | None):
    if db:
        os.environ["STOCKBOOK_DATABASE_URL"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockbook.settings")
    url = os.environ.get("STOCKBOOK_DATABASE_URL", "")
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///"):])) or ".", exist_ok=True)
    else:
        from django.conf import settings  # noqa: F401  (the default sqlite dir)
        from stockbook import settings as s

        if not url:
            os.makedirs(s.VAR_DIR, exist_ok=True)
    import django

    django.setup()
    migrate_if_needed()
    from stockbook.core.runtime import settle

    settle()


def migrate_if_needed():
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", verbosity=0, interactive=False)


def _date(s):
    from stockbook.posting.fields import parse_date

    try:
        return parse_date(s)
    except Exception:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {s}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="stockbook", description="Stockbook 进销存财务一体化")
    ap.add_argument("--db", help="sqlite:///path/file.db or postgresql://user@host:port/name")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("import", help="import a JSONL file of documents")
    p.add_argument("file")
    p.add_argument("--stop-on-error", action="store_true")

    p = sub.add_parser("report", help="print a report")
    p.add_argument("name", choices=REPORTS)
    p.add_argument("--as-of", type=_date)
    p.add_argument("--from", dest="start", type=_date)
    p.add_argument("--to", dest="end", type=_date)
    p.add_argument("--account", help="account code (ledgers)")
    p.add_argument("--customer")
    p.add_argument("--supplier")
    p.add_argument("--item")
    p.add_argument("--warehouse")
    p.add_argument("--region", help="region code (ar-aging, ap-aging)")
    p.add_argument("--by", choices=("invoice", "due"), help="ar-aging/ap-aging: age by invoice date (default) or by due date")
    p.add_argument("--format", default="table", choices=("json", "table", "csv", "xlsx", "pdf"))
    p.add_argument("--output", "-o", help="write to this file (needed for xlsx/pdf on a terminal)")

    p = sub.add_parser("period", help="period actions")
    p.add_argument("action", choices=("reopen", "status"))
    p.add_argument("period", nargs="?")

    p = sub.add_parser("demo", help="load the demo company 示例商贸有限公司")
    p.add_argument("--users-only", action="store_true")

    p = sub.add_parser("token", help="issue an API token for a user")
    p.add_argument("username")
    p.add_argument("--name", default="integration")

    p = sub.add_parser("serve", help="run the web app")
    p.add_argument("--addr", default="127.0.0.1:8000")

    p = sub.add_parser("manage", help="run a Django management command")
    p.add_argument("args", nargs=argparse.REMAINDER)

    import importlib

    for mod in CLI_PLUGINS:
        importlib.import_module(mod).register(sub)

    args = ap.parse_args(argv)
    _setup(args.db)
    if getattr(args, "run", None) is not None:
        return args.run(args)

    if args.cmd == "import":
        from stockbook.interchange.importer import import_file

        return import_file(args.file, stop_on_error=args.stop_on_error)
    if args.cmd == "report":
        return _report(args)
    if args.cmd == "period":
        return _period(args)
    if args.cmd == "demo":
        from stockbook.demo.load import load_demo

        load_demo(users_only=args.users_only)
        return 0
    if args.cmd == "token":
        from django.contrib.auth.models import User

        from stockbook.users.models import ApiToken

        user = User.objects.filter(username=args.username).first()
        if user is None:
            print(f"no such user: {args.username}", file=sys.stderr)
            return 2
        _, raw = ApiToken.issue(user, args.name)
        print(raw)
        return 0
    if args.cmd == "serve":
        from django.core.management import call_command

        call_command("runserver", args.addr, use_reloader=False)
        return 0
    if args.cmd == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["stockbook manage", *args.args])
        return 0
    return 2


def _report(args):
    import json

    from stockbook.core.errors import DocError
    from stockbook.reports.base import render
    from stockbook.reports.registry import build_report

    params = {k: getattr(args, k, None) for k in ("as_of", "start", "end", "account", "customer", "supplier", "item", "warehouse", "region",
                                                  "by")}
    try:
        rep = build_report(args.name, params)
    except DocError as e:
        print(json.dumps(e.as_dict(), ensure_ascii=False), file=sys.stderr)
        return 2
    out = render(rep, args.format)
    if args.output:
        mode = "wb" if isinstance(out, bytes) else "w"
        with open(args.output, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
            f.write(out)
    elif isinstance(out, bytes):
        if sys.stdout.isatty():
            print("binary format: use --output FILE", file=sys.stderr)
            return 2
        sys.stdout.buffer.write(out)
    else:
        sys.stdout.write(out)
    return 0


def _period(args):
    from stockbook.core.errors import DocError
    from stockbook.ledger.models import Period
    from stockbook.posting.handlers.period import reopen_period

    if args.action == "status":
        for p in Period.objects.all():
            print(p, p.get_status_display())
        return 0
    try:
        row = reopen_period(args.period or "")
    except DocError as e:
        print(f"{e.code}: {e.message}", file=sys.stderr)
        return 1
    print(f"reopened {row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
