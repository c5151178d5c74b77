"""``stockbook audit verify | search | export | archive | purge`` (a CLI plugin, see stockbook/cli.py).

Exit status: 0 done (verify: the chain is intact), 1 verify found problems, 2 bad input.
"""
import argparse
import json
import sys


def _when(s):
    """Checked here (before Django is set up); made a time in the local zone by ``_results``."""
    import datetime as dt

    try:
        if len(s.strip()) == 10:
            dt.date.fromisoformat(s.strip())
        else:
            dt.datetime.fromisoformat(s.strip())
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD or time YYYY-MM-DDTHH:MM: {s}")
    return s.strip()


def _days(s):
    try:
        n = int(s)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"not a whole number of days (0 or more): {s}")
    return n


def _count(s):
    if not s.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number (0 or more): {s}")
    return int(s)


def _anchor(s):
    seq, _, h = s.partition(":")
    if not seq.isdigit() or len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        raise argparse.ArgumentTypeError(f"not SEQ:HASH (a seq and 64 hex digits): {s}")
    return int(seq), h


def _filters(p):
    p.add_argument("--user", default="", help="username")
    p.add_argument("--action", default="", help="action code (login, create, update, post, …)")
    p.add_argument("--object", default="", help="app.model:id, app.model, or text in the object's name")
    p.add_argument("--from", dest="start", type=_when, help="YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time)")
    p.add_argument("--to", dest="end", type=_when, help="YYYY-MM-DD (the whole day) or YYYY-MM-DDTHH:MM")
    p.add_argument("--no-archived", dest="archived", action="store_false", help="skip the archive files")


def register(sub):
    p = sub.add_parser("audit", help="audit trail: verify, search, export, archive")
    asub = p.add_subparsers(dest="audit_cmd", required=True)

    v = asub.add_parser("verify", help="check the hash chain; exit 1 and name each edited, deleted or inserted entry")
    v.add_argument("--format", default="text", choices=("text", "json"))
    v.add_argument("--anchor", type=_anchor, help="SEQ:HASH noted from an earlier verify: it must still be in the chain")
    v.set_defaults(run=run_verify)

    s = asub.add_parser("search", help="search the audit log (archived entries included)")
    _filters(s)
    s.add_argument("--format", default="table", choices=("table", "csv", "json"))
    s.add_argument("--limit", type=_count, default=0, help="at most this many entries (0 = all)")
    s.set_defaults(run=run_search)

    e = asub.add_parser("export", help="export the audit log (archived entries included) as CSV or PDF")
    _filters(e)
    e.add_argument("--format", default="csv", choices=("csv", "pdf"))
    e.add_argument("--output", "-o", required=True, help="file to write")
    e.set_defaults(run=run_export)

    a = asub.add_parser("archive", help="move old entries to compressed archive files")
    a.add_argument("--older-than-days", type=_days, default=None,
                   help="default: settings STOCKBOOK_AUDIT_ARCHIVE_DAYS")
    a.set_defaults(run=run_archive)

    g = asub.add_parser("purge", help="delete archive files older than the 7-year retention period")
    g.add_argument("--yes", action="store_true", help="really delete them")
    g.set_defaults(run=run_purge)


def run_verify(args) -> int:
    from .verify import verify

    res = verify(anchor=args.anchor)
    if args.format == "json":
        print(json.dumps(res.as_dict(), ensure_ascii=False, default=str))
        return 0 if res.ok else 1
    if res.ok:
        print(f"OK: {res.entries} entries verified ({res.archived} archived in {res.files} files, "
              f"{res.entries - res.archived} in the database); head seq {res.head_seq} hash {res.head_hash}")
        return 0
    print(f"FAILED: {len(res.problems)} problem(s) in {res.entries} entries")
    for p in res.problems:
        print(str(p))
    return 1


def _results(args):
    from .search import Filters, Results, parse_when

    start = parse_when(args.start) if args.start else None
    end = parse_when(args.end, end=True) if args.end else None
    return Results(Filters(user=args.user, action=args.action, object=args.object, start=start, end=end, archived=args.archived))


def run_search(args) -> int:
    from . import export

    res = _results(args)
    entries = iter(res)
    if args.limit:
        entries = export._take(entries, args.limit)
    if args.format == "json":
        sys.stdout.write(export.to_json_lines(entries))
    elif args.format == "csv":
        sys.stdout.write(export.to_csv(entries).lstrip("\ufeff"))
    else:
        sys.stdout.write(export.to_table(entries))
    return 0


def run_export(args) -> int:
    from . import export
    from .chain import record

    res = _results(args)
    data = export.to_csv(res, res.f.describe()).encode("utf-8") if args.format == "csv" else export.to_pdf(res, res.f.describe())
    try:
        with open(args.output, "wb") as fh:
            fh.write(data)
    except OSError as e:
        print(f"cannot write {args.output}: {e.strerror}", file=sys.stderr)
        return 2
    record("export", object_type="audit.auditentry", object_repr=f"{args.format} {args.output}", remark=res.f.describe())
    print(f"wrote {args.output}")
    return 0


def run_archive(args) -> int:
    from .archive import archive, archive_dir

    try:
        made = archive(args.older_than_days)
    except OSError as e:
        print(f"cannot write the archive in {archive_dir()}: {e}", file=sys.stderr)
        return 2
    if not made:
        print("nothing to archive")
    for a in made:
        print(f"archived {a.count} entries (seq {a.first_seq}-{a.last_seq}) to {archive_dir() / a.file}")
    return 0


def run_purge(args) -> int:
    from .archive import RETENTION_YEARS, purge

    if not args.yes:
        print(f"purge deletes archive files whose entries are all older than {RETENTION_YEARS} years; run with --yes",
              file=sys.stderr)
        return 2
    done = purge()
    print(f"purged {len(done)} archive file(s)" + "".join(f"\n  {a.file}" for a in done))
    return 0
