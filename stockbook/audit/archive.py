"""Cold archive: entries older than a configurable age move to gzip'd JSONL files.

Each file ``audit-<first seq>-<last seq>.jsonl.gz`` holds a run of the chain, one entry per line exactly as
it was stored (so every hash can still be checked). ``manifest.json`` next to the files lists each file
with its SHA-256, its seq range and the chain link (the ``prev_hash`` of its first entry, the ``hash`` of its
last). The database keeps one ``AuditArchive`` row per file (HMAC-signed): verification of what stays in the
database continues from the archived tail hash, and search reads the files.

Retention (docs/audit.md): nothing is ever deleted before seven years. Archived files older than that can be
removed only by ``stockbook audit purge --yes``, which keeps their database row (and so the chain link).
"""
import datetime as dt
import gzip
import hashlib
import io
import json
import os
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .chain import archive_mac, at_text, audit_key, key_id, lock_head, record
from .models import AuditArchive, AuditEntry

RETENTION_YEARS = 7
BATCH = 20000
MANIFEST = "manifest.json"
FORMAT = "stockbook-audit-archive/1"
ROW_FIELDS = ("seq", "at", "user_id", "username", "ip", "action", "object_type", "object_id", "object_repr",
              "before", "after", "remark", "prev_hash", "hash")


def archive_dir() -> Path:
    return Path(getattr(settings, "STOCKBOOK_AUDIT_ARCHIVE_DIR", Path(settings.VAR_DIR) / "audit-archive"))


def years_before(t: dt.datetime, years: int) -> dt.datetime:
    try:
        return t.replace(year=t.year - years)
    except ValueError:  # 29 February
        return t.replace(year=t.year - years, day=28)


# -- files ------------------------------------------------------------------------------------------------
def _gzip(lines: list[str]) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as g:  # same rows → same bytes
        for line in lines:
            g.write(line.encode())
    return buf.getvalue()


def _write_atomic(path: Path, data: bytes):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_rows(path: Path):
    """The entries of an archive file, as dicts (``at`` in canonical text). Raises OSError / ValueError on a
    damaged file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or any(k not in row for k in ROW_FIELDS):
                raise ValueError(f"line {n}: not an audit entry")
            row["where"] = f"{path.name}:{n}"
            yield row


# -- manifest ---------------------------------------------------------------------------------------------
def _manifest_entry(a: AuditArchive) -> dict:
    return {"file": a.file, "sha256": a.sha256, "count": a.count, "first_seq": a.first_seq, "last_seq": a.last_seq,
            "first_prev_hash": a.first_prev_hash, "last_hash": a.last_hash, "first_at": at_text(a.first_at),
            "last_at": at_text(a.last_at), "archived_at": at_text(a.archived_at),
            "purged_at": at_text(a.purged_at) if a.purged_at else None, "mac": a.mac}


def read_manifest(d: Path | None = None) -> dict | None:
    p = (d or archive_dir()) / MANIFEST
    if not p.exists():
        return None
    with open(p, encoding="utf-8") as fh:
        return json.load(fh)


def write_manifest(d: Path | None = None):
    """The manifest from the database's archive rows; entries the database does not know are kept (so that
    ``audit verify`` still reports them)."""
    d = d or archive_dir()
    try:
        old = read_manifest(d) or {}
    except (OSError, ValueError):
        old = {}
    files = {e["file"]: e for e in old.get("files", []) if isinstance(e, dict) and "file" in e}
    for a in AuditArchive.objects.order_by("first_seq"):
        files[a.file] = _manifest_entry(a)
    data = {"format": FORMAT, "key_id": key_id(), "retention_years": RETENTION_YEARS,
            "files": sorted(files.values(), key=lambda e: (e.get("first_seq") or 0, e["file"]))}
    d.mkdir(parents=True, exist_ok=True)
    _write_atomic(d / MANIFEST, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode())


# -- archiving --------------------------------------------------------------------------------------------
def archive(older_than_days: int | None = None, *, now: dt.datetime | None = None, batch: int = BATCH) -> list[AuditArchive]:
    """Move the entries older than ``older_than_days`` (default STOCKBOOK_AUDIT_ARCHIVE_DAYS) to archive
    files, oldest first, ``batch`` entries per file. Only a run from the start of the chain moves: archiving
    stops at the first entry that is not old enough."""
    if older_than_days is None:
        older_than_days = settings.STOCKBOOK_AUDIT_ARCHIVE_DAYS
    if not isinstance(older_than_days, int) or older_than_days < 0:
        raise ValueError("older_than_days must be a whole number of days, 0 or more")
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    d = archive_dir()
    d.mkdir(parents=True, exist_ok=True)
    made = []
    try:
        while True:
            a = _archive_batch(cutoff, batch, d, older_than_days)
            if a is None:
                break
            made.append(a)
    finally:
        if made:
            write_manifest(d)
    return made


def _archive_batch(cutoff, batch: int, d: Path, days: int) -> AuditArchive | None:
    key = audit_key()
    path = None
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                lock_head(cur)  # one archiver at a time, and no append in between
            rows = list(AuditEntry.objects.order_by("seq").values(*(f for f in ROW_FIELDS))[:batch])
            take = []
            for r in rows:
                if r["at"] >= cutoff:
                    break
                take.append(r)
            if not take:
                return None
            first, last = take[0], take[-1]
            name = f"audit-{first['seq']:012d}-{last['seq']:012d}.jsonl.gz"
            path = d / name
            if path.exists() or AuditArchive.objects.filter(file=name).exists():
                raise FileExistsError(f"archive file already exists: {path}")
            lines = [json.dumps({**r, "at": at_text(r["at"])}, ensure_ascii=False, separators=(",", ":")) + "\n" for r in take]
            data = _gzip(lines)
            _write_atomic(path, data)
            a = AuditArchive(file=name, sha256=hashlib.sha256(data).hexdigest(), count=len(take), first_seq=first["seq"],
                             last_seq=last["seq"], first_prev_hash=first["prev_hash"], last_hash=last["hash"],
                             first_at=first["at"], last_at=last["at"], archived_at=timezone.now())
            a.mac = archive_mac(key, a)
            a.save()
            AuditEntry.objects.filter(seq__gte=a.first_seq, seq__lte=a.last_seq)._raw_delete(AuditEntry.objects.db)
            record("archive", a, object_repr=name, remark=f"> {days} d",
                   after={"file": name, "first_seq": a.first_seq, "last_seq": a.last_seq, "count": a.count, "sha256": a.sha256})
        return a
    except BaseException:
        if path is not None and path.exists() and not AuditArchive.objects.filter(file=path.name).exists():
            path.unlink()
        raise


def purge(*, now: dt.datetime | None = None) -> list[AuditArchive]:
    """Delete archive files whose newest entry is older than the retention period (7 years). Their database
    rows stay, marked purged, so the chain still links across them."""
    now = now or timezone.now()
    limit = years_before(now, RETENTION_YEARS)
    done = []
    for a in AuditArchive.objects.filter(purged_at__isnull=True, last_at__lt=limit).order_by("first_seq"):
        with transaction.atomic():
            AuditArchive.objects.filter(pk=a.pk).update(purged_at=now)
            a.purged_at = now
            record("purge", a, object_repr=a.file, after={"file": a.file, "first_seq": a.first_seq, "last_seq": a.last_seq,
                                                           "sha256": a.sha256})
        p = archive_dir() / a.file
        if p.exists():
            p.unlink()
        done.append(a)
    if done:
        write_manifest()
    return done


def iter_archived(start: dt.datetime | None = None, end: dt.datetime | None = None):
    """Archived entries (dicts) whose file may hold entries in [start, end), oldest first; missing or damaged
    files are skipped here (``audit verify`` reports them)."""
    d = archive_dir()
    for a in AuditArchive.objects.filter(purged_at__isnull=True).order_by("first_seq"):
        if (end is not None and a.first_at >= end) or (start is not None and a.last_at < start):
            continue
        p = d / a.file
        try:
            yield from read_rows(p)
        except (OSError, ValueError, EOFError):
            continue
