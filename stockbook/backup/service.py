"""Backups of the configured database (or any Django settings_dict): create with a manifest, rotate,
copy off-site, list, check, restore, verify.

A backup is two files side by side: ``stockbook-<db>-<UTC time>.sqlite.gz`` (a gzip'd SQLite file) or
``….pgdump`` (pg_dump -Fc), and ``<that name>.manifest.json`` with its sha256, the database kind and
name, the applied migrations, every table's row count and the data's first and last date. The data
file is written under a temporary name and renamed; the manifest is written last, so a backup without
a manifest is an unfinished one and is ignored.
"""
import difflib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import conf
from .engines import (BackupError, describe, kind_of, label_of, pg_backup, pg_check_dump, pg_create_database,
                      pg_drop_database, pg_restore, pg_url, sqlite_backup, sqlite_restore, sqlite_unpack)

FORMAT = "stockbook-backup/1"
SUFFIX = {"sqlite": ".sqlite.gz", "postgresql": ".pgdump"}
MANIFEST = ".manifest.json"


def _db(sd: dict | None) -> dict:
    if sd is not None:
        return sd
    from django.db import connection

    return connection.settings_dict


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync(path: Path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private(path: Path):
    """Backups hold the whole book: readable by their owner only."""
    os.chmod(path, 0o600)


def _write_json(path: Path, obj: dict):
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _private(tmp)
    _fsync(tmp)
    os.replace(tmp, path)


@dataclass
class Backup:
    path: Path
    manifest: dict

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.path)

    @property
    def created_at(self) -> str:
        return self.manifest.get("created_at", "")

    @property
    def kind(self) -> str:
        return self.manifest.get("db", {}).get("kind", "")

    @property
    def label(self) -> str:
        return self.manifest.get("db", {}).get("name", "")


@dataclass
class BackupResult:
    backup: Backup
    offsite: Path | None = None
    removed: list = field(default_factory=list)

    def summary(self) -> dict:
        m = self.backup.manifest
        return {"file": str(self.backup.path), "sha256": m["sha256"], "size": m["size"], "kind": m["db"]["kind"],
                "offsite": str(self.offsite) if self.offsite else None, "removed": [str(p) for p in self.removed]}


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST)


# -- create ---------------------------------------------------------------------------------------------
def create_backup(dest: Path | str | None = None, *, keep: int | None = None, offsite: Path | str | None = None,
                  sd: dict | None = None, use_offsite_setting: bool = True) -> BackupResult:
    """Back up the database ``sd`` (default: Django's default connection) into ``dest``, keep the newest
    ``keep`` backups of that database there, and copy it to the off-site directory if one is set."""
    sd = _db(sd)
    kind = kind_of(sd)
    dest = Path(dest) if dest else conf.backup_dir()
    keep = conf.keep() if keep is None else int(keep)
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    if offsite is None and use_offsite_setting:
        offsite = conf.offsite_dir()
    offsite = Path(offsite) if offsite else None
    try:
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise BackupError(f"cannot create the backup directory {dest}: {e.strerror}")

    now = datetime.now(timezone.utc)
    label = label_of(sd)
    base = f"stockbook-{label}-{now:%Y%m%dT%H%M%S.%fZ}"
    name, n = base + SUFFIX[kind], 1
    while (dest / name).exists() or manifest_path(dest / name).exists():
        n += 1
        name = f"{base}-{n}{SUFFIX[kind]}"
    final = dest / name
    partial = dest / f".{name}.partial"
    try:
        info = sqlite_backup(sd, partial) if kind == "sqlite" else pg_backup(sd, partial)
        _private(partial)
        _fsync(partial)
        os.replace(partial, final)
    except (OSError, sqlite3.Error) as e:  # a full disk, an unreadable database: told, not a traceback
        raise BackupError(f"the backup failed: {e}", 1) from e
    finally:
        partial.unlink(missing_ok=True)

    manifest = {
        "format": FORMAT,
        "file": name,
        "size": final.stat().st_size,
        "sha256": sha256_of(final),
        "created_at": now.isoformat(timespec="microseconds"),
        "stockbook_version": _version(),
        "db": {"kind": kind, "name": label, **({"server_version": info.pop("server_version")} if "server_version" in info else {})},
        **info,
    }
    _write_json(manifest_path(final), manifest)
    backup = Backup(final, manifest)
    result = BackupResult(backup)
    result.removed += rotate(dest, label, kind, keep)
    if offsite is not None:
        result.offsite = copy_offsite(backup, offsite)
        result.removed += rotate(offsite, label, kind, keep)
    return result


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("stockbook")
    except Exception:
        return "unknown"


def copy_offsite(backup: Backup, offsite: Path) -> Path:
    """Copy a backup and its manifest to ``offsite``; the copy is read back and its sha256 checked
    before it takes its final name."""
    try:
        offsite.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = offsite / backup.path.name
        partial = offsite / f".{backup.path.name}.partial"
        try:
            shutil.copyfile(backup.path, partial)
            _private(partial)
            _fsync(partial)
            got = sha256_of(partial)
            if got != backup.manifest["sha256"]:
                raise BackupError(f"the off-site copy in {offsite} reads back with sha256 {got}, "
                                  f"not {backup.manifest['sha256']}: copy removed", 1)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        _write_json(manifest_path(target), backup.manifest)
    except OSError as e:
        raise BackupError(f"cannot copy the backup to the off-site directory {offsite}: {e.strerror or e}", 1)
    return target


# -- list, rotate, check ----------------------------------------------------------------------------------
def list_backups(directory: Path | str | None = None) -> list[Backup]:
    """Finished backups (those with a readable manifest) in a directory, oldest first."""
    directory = Path(directory) if directory else conf.backup_dir()
    out = []
    if not directory.is_dir():
        return out
    for mp in directory.glob("stockbook-*" + MANIFEST):
        try:
            manifest = json.loads(mp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if manifest.get("format") != FORMAT:
            continue
        out.append(Backup(mp.with_name(mp.name[: -len(MANIFEST)]), manifest))
    return sorted(out, key=lambda b: (b.created_at, b.path.name))


def rotate(directory: Path, label: str, kind: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of one database (label and kind) in a directory."""
    mine = [b for b in list_backups(directory) if b.label == label and b.kind == kind]
    removed = []
    for b in mine[: max(0, len(mine) - keep)]:
        b.path.unlink(missing_ok=True)
        b.manifest_path.unlink(missing_ok=True)
        removed.append(b.path)
    return removed


def load(file: Path | str) -> Backup:
    """The backup named by a path to its data file or its manifest, with the sha256 checked."""
    path = Path(file)
    if path.name.endswith(MANIFEST):
        path = path.with_name(path.name[: -len(MANIFEST)])
    mp = manifest_path(path)
    if not path.is_file():
        raise BackupError(f"no backup file {path}")
    if not mp.is_file():
        raise BackupError(f"no manifest {mp.name} beside {path.name}: cannot check the backup, refusing")
    try:
        manifest = json.loads(mp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BackupError(f"the manifest {mp.name} is unreadable: {e}")
    if manifest.get("format") != FORMAT or manifest.get("db", {}).get("kind") not in SUFFIX or not manifest.get("sha256"):
        raise BackupError(f"{mp.name} is not a Stockbook backup manifest")
    got = sha256_of(path)
    if got != manifest["sha256"]:
        raise BackupError(f"{path.name} is damaged: its sha256 is {got}, the manifest says {manifest['sha256']}")
    return Backup(path, manifest)


def latest(directory: Path | str | None = None, sd: dict | None = None) -> Backup:
    sd = _db(sd)
    label, kind = label_of(sd), kind_of(sd)
    directory = Path(directory) if directory else conf.backup_dir()
    mine = [b for b in list_backups(directory) if b.label == label and b.kind == kind]
    if not mine:
        raise BackupError(f"no backup of database {label} in {directory}")
    return mine[-1]


def _check_migrations(backup: Backup):
    """Refuse a backup taken by a newer Stockbook (migrations this code does not know)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(connection, ignore_no_migrations=True, load=True).disk_migrations)
    unknown = [f"{app}.{n}" for app, names in backup.manifest.get("migrations", {}).items() for n in names
               if (app, n) not in known]
    if unknown:
        raise BackupError(f"{backup.path.name} comes from a newer Stockbook (unknown migrations: "
                          f"{', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}); upgrade first")


# -- restore ---------------------------------------------------------------------------------------------
def restore(file: Path | str, sd: dict | None = None) -> dict:
    """Replace the database ``sd`` with a backup (checked first). → {"kept": path of the previous SQLite
    file or None}."""
    sd = _db(sd)
    backup = load(file)
    kind = kind_of(sd)
    if backup.kind != kind:
        raise BackupError(f"{backup.path.name} is a {backup.kind} backup; the database is {kind}")
    _check_migrations(backup)
    from django.db import connections

    for conn in connections.all(initialized_only=True):  # ours must not hold the database being replaced
        if conn.settings_dict.get("NAME") == sd.get("NAME") and conn.settings_dict.get("HOST") == sd.get("HOST"):
            conn.close()
    if kind == "sqlite":
        return {"kept": sqlite_restore(backup.path, sd)}
    pg_check_dump(backup.path)
    pg_restore(backup.path, sd, clean=True)
    return {"kept": None}


# -- verify ----------------------------------------------------------------------------------------------
@dataclass
class VerifyResult:
    backup: Backup
    compared: list[str]
    differing: dict[str, str]  # report key → a diff for people
    notes: list[str]

    @property
    def identical(self) -> bool:
        return not self.differing


class ReportProcess:
    """The report set of another database, computed by ``python -m stockbook.backup.reportset`` in a fresh
    process (started at once; ``result()`` waits), so the caller can read the live reports meanwhile."""

    def __init__(self, url: str, the_plan: dict):
        env = dict(os.environ, STOCKBOOK_DATABASE_URL=url)
        env.setdefault("DJANGO_SETTINGS_MODULE", "stockbook.settings")
        self.proc = subprocess.Popen([sys.executable, "-m", "stockbook.backup.reportset"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.plan = json.dumps(the_plan)

    def live_meanwhile(self, the_plan: dict) -> dict[str, str]:
        """The live database's reports, read while the child works (the child is ended on failure)."""
        from .reportset import report_set

        try:
            return report_set(the_plan)
        except BaseException:
            self.proc.kill()
            self.proc.communicate()
            raise

    def result(self) -> dict[str, str]:
        out, err = self.proc.communicate(self.plan)
        if self.proc.returncode != 0:
            tail = "\n".join(err.strip().splitlines()[-8:])
            raise BackupError(f"reading the reports of the restored copy failed:\n{tail}", 1)
        return json.loads(out)


def reports_of(url: str, the_plan: dict) -> dict[str, str]:
    return ReportProcess(url, the_plan).result()


def _diff(key: str, live: str | None, restored: str | None, limit: int = 40) -> str:
    def lines(s):
        return json.dumps(json.loads(s), indent=1, sort_keys=True, ensure_ascii=False).splitlines() if s else ["(missing)"]

    d = list(difflib.unified_diff(lines(live), lines(restored), f"live {key}", f"backup {key}", n=1, lineterm=""))
    if len(d) > limit:
        d = d[:limit] + [f"… {len(d) - limit} more diff lines"]
    return "\n".join(d)


def verify(file: Path | str | None = None, *, directory: Path | str | None = None, sd: dict | None = None) -> VerifyResult:
    """Restore a backup (default: the newest of this database) into a scratch database and compare its
    trial balance, stock balance and reconcile reports — every month-end of the data plus today — with
    the live database's."""
    from django.db import connection
    from django.utils.timezone import localdate

    from .reportset import live_span, plan

    sd = _db(sd)
    backup = load(file) if file else load(latest(directory, sd).path)
    kind = kind_of(sd)
    if backup.kind != kind:
        raise BackupError(f"{backup.path.name} is a {backup.kind} backup; the live database is {kind}")
    _check_migrations(backup)

    notes = []
    with connection.cursor() as cur:
        live_counts = describe(cur, kind)["counts"]
    changed = sorted(t for t in set(live_counts) | set(backup.manifest.get("counts", {}))
                     if live_counts.get(t) != backup.manifest.get("counts", {}).get(t))
    if changed:
        notes.append("the live database has changed since this backup was taken ("
                     + ", ".join(f"{t} {backup.manifest.get('counts', {}).get(t)} → {live_counts.get(t)}" for t in changed[:6])
                     + (" …" if len(changed) > 6 else "") + "): differences may be later work, not damage")

    the_plan = plan(live_span(), localdate())
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="stockbook-verify-") as tmp:
            scratch = Path(tmp) / "scratch.db"
            sqlite_unpack(backup.path, scratch)
            child = ReportProcess(f"sqlite:///{scratch}", the_plan)
            live = child.live_meanwhile(the_plan)
            restored = child.result()
    else:
        name = f"sb_verify_{os.getpid()}"
        pg_check_dump(backup.path)
        pg_create_database(sd, name)
        try:
            pg_restore(backup.path, dict(sd, NAME=name), clean=False)
            child = ReportProcess(pg_url(sd, name), the_plan)
            live = child.live_meanwhile(the_plan)
            restored = child.result()
        finally:
            pg_drop_database(sd, name)

    keys = sorted(set(live) | set(restored))
    differing = {k: _diff(k, live.get(k), restored.get(k)) for k in keys if live.get(k) != restored.get(k)}
    return VerifyResult(backup, keys, differing, notes)
