"""``stockbook backup [--dest DIR] [--keep N]``, ``stockbook backup list``, ``stockbook backup verify [FILE]``
and ``stockbook restore FILE [--yes]``.

Exit status: 0 done (verify: identical); 1 verify found a difference, or a backup/restore step failed;
2 unusable input (no such file, damaged backup, wrong database kind, restore without --yes).
"""
import argparse
import sys
from datetime import datetime
from pathlib import Path


def register(sub):
    dest_help = "backup directory (default: STOCKBOOK_BACKUP_DIR, else var/backups)"
    p = sub.add_parser("backup", help="back up the database; `backup list`, `backup verify [FILE]`",
                       description="Back up the database: a consistent copy (SQLite online backup, gzip'd; "
                                   "PostgreSQL pg_dump -Fc) with a manifest, rotation and an off-site copy.")
    p.add_argument("--dest", help=dest_help)
    p.add_argument("--keep", type=int, help="keep the newest N backups of this database (default: STOCKBOOK_BACKUP_KEEP, else 14)")
    p.add_argument("--offsite", help="off-site directory (default: STOCKBOOK_BACKUP_OFFSITE_DIR)")
    p.add_argument("--no-offsite", action="store_true", help="skip the off-site copy this time")
    p.set_defaults(run=run_backup)
    bsub = p.add_subparsers(dest="backup_cmd")
    q = bsub.add_parser("list", help="list the backups in the backup directory")
    q.add_argument("--dest", default=argparse.SUPPRESS, help=dest_help)
    q.add_argument("--check", action="store_true", help="also check every file's sha256")
    q.set_defaults(run=run_list)
    q = bsub.add_parser("verify", help="restore into a scratch database and compare the reports with the live ones")
    q.add_argument("file", nargs="?", help="a backup file (default: the newest backup of this database)")
    q.add_argument("--dest", default=argparse.SUPPRESS, help=dest_help)
    q.set_defaults(run=run_verify)

    p = sub.add_parser("restore", help="replace the database with a backup (checks its sha256 first)")
    p.add_argument("file", help="the backup file (.sqlite.gz / .pgdump) or its .manifest.json")
    p.add_argument("--yes", action="store_true", help="really replace the configured database")
    p.set_defaults(run=run_restore)


def _fail(e) -> int:
    print(f"error: {e}", file=sys.stderr)
    return getattr(e, "exit_code", 2)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def run_backup(args) -> int:
    from .engines import BackupError
    from .service import create_backup

    try:
        res = create_backup(args.dest, keep=args.keep, offsite=args.offsite,
                            use_offsite_setting=not args.no_offsite)
    except (BackupError, ValueError) as e:
        return _fail(e)
    m = res.backup.manifest
    print(f"backup {res.backup.path}  ({_size(m['size'])}, sha256 {m['sha256']})")
    if res.offsite:
        print(f"off-site copy {res.offsite}  (sha256 checked)")
    for p in res.removed:
        print(f"rotated out {p}")
    return 0


def run_list(args) -> int:
    from .engines import BackupError
    from .service import list_backups, load

    from . import conf

    directory = Path(args.dest) if args.dest else conf.backup_dir()
    backups = list_backups(directory)
    if not backups:
        print(f"no backups in {directory}")
        return 0
    bad = 0
    for b in reversed(backups):
        created = datetime.fromisoformat(b.created_at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        docs = b.manifest.get("counts", {}).get("posting_document", "?")
        state = ""
        if args.check:
            try:
                load(b.path)
                state = "  sha256 ok"
            except BackupError as e:
                state, bad = f"  DAMAGED: {e}", bad + 1
        print(f"{created}  {b.kind:<10}  {b.label:<16}  {_size(b.manifest.get('size', 0)):>10}  "
              f"documents {docs}  {b.path.name}{state}")
    return 1 if bad else 0


def run_verify(args) -> int:
    from .engines import BackupError
    from .service import verify

    try:
        res = verify(args.file, directory=getattr(args, "dest", None))
    except BackupError as e:
        return _fail(e)
    for note in res.notes:
        print(f"note: {note}")
    kinds = {}
    for k in res.compared:
        kinds[k.split(" ")[0]] = kinds.get(k.split(" ")[0], 0) + 1
    what = ", ".join(f"{k} ×{n}" for k, n in kinds.items())
    if res.identical:
        print(f"identical: {len(res.compared)} reports ({what}) of {res.backup.path.name} equal the live database's")
        return 0
    print(f"DIFFERENT: {len(res.differing)} of {len(res.compared)} reports of {res.backup.path.name} "
          f"differ from the live database's")
    for key, diff in res.differing.items():
        print(f"\n== {key}\n{diff}")
    return 1


def run_restore(args) -> int:
    from django.db import connection

    from .engines import BackupError, kind_of
    from .service import load, restore

    try:
        backup = load(args.file)  # the sha256 first: a damaged file is refused even with --yes
        sd = connection.settings_dict
        if not args.yes:
            m = backup.manifest
            print(f"restore would REPLACE the {kind_of(sd)} database {sd['NAME']} with {backup.path.name} "
                  f"(taken {m.get('created_at')}, {m.get('counts', {}).get('posting_document', '?')} documents).\n"
                  "Stop `stockbook serve` and the job worker, then run again with --yes.", file=sys.stderr)
            return 2
        res = restore(backup.path)
    except BackupError as e:
        return _fail(e)
    from stockbook.cli import migrate_if_needed

    migrate_if_needed()
    print(f"restored {backup.path.name} into {connection.settings_dict['NAME']}")
    if res.get("kept"):
        print(f"the previous database file was kept as {res['kept']}")
    return 0
