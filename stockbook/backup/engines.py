"""The database-specific half of backups: SQLite through its online backup API, PostgreSQL through
pg_dump/pg_restore. Everything takes a Django ``settings_dict`` so that any database can be backed up —
the configured one, a test database, a scratch copy."""
import gzip
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path
from urllib.parse import quote


class BackupError(Exception):
    """A backup, restore or verify that cannot go on; ``str()`` is the message for people."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def kind_of(sd: dict) -> str:
    engine = sd.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")


def is_memory_sqlite(name) -> bool:
    name = str(name or "")
    return not name or ":memory:" in name or "mode=memory" in name


def label_of(sd: dict) -> str:
    """A short name for the database in backup file names (rotation never mixes two databases)."""
    name = str(sd.get("NAME") or "")
    if kind_of(sd) == "sqlite":
        if is_memory_sqlite(name):
            return "memory"
        name = Path(name).name
        name = name[: -len(".db")] if name.endswith(".db") else name
    return re.sub(r"[^A-Za-z0-9_.]+", "_", name).strip("._") or "db"


# -- what a database holds: read through any DB-API cursor ------------------------------------------
def _tables(cur, kind: str) -> list[str]:
    if kind == "sqlite":
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cur.execute("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    return sorted(r[0] for r in cur.fetchall())


def table_counts(cur, kind: str) -> dict[str, int]:
    out = {}
    for t in _tables(cur, kind):
        cur.execute('SELECT count(*) FROM "%s"' % t.replace('"', '""'))
        out[t] = int(cur.fetchone()[0])
    return out


def applied_migrations(cur, kind: str) -> dict[str, list[str]]:
    if "django_migrations" not in _tables(cur, kind):
        return {}
    cur.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
    out: dict[str, list[str]] = {}
    for app, name in cur.fetchall():
        out.setdefault(app, []).append(name)
    return out


def data_span(cur, kind: str) -> dict:
    """First and last document/voucher date (ISO strings), or None for an empty book."""
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document

    tables = set(_tables(cur, kind))
    dates = []
    for model in (Document, Voucher):
        t = model._meta.db_table
        if t in tables:
            cur.execute(f'SELECT min("date"), max("date") FROM "{t}"')
            dates.extend(str(d)[:10] for d in cur.fetchone() if d is not None)
    return {"first": min(dates), "last": max(dates)} if dates else {"first": None, "last": None}


def describe(cur, kind: str) -> dict:
    return {"migrations": applied_migrations(cur, kind), "counts": table_counts(cur, kind), "span": data_span(cur, kind)}


# -- SQLite -------------------------------------------------------------------------------------------
def sqlite_backup(sd: dict, out: Path) -> dict:
    """Copy the database with SQLite's online backup API (one step: a consistent snapshot that includes
    what is still in the WAL, while writers go on), check it, gzip it to ``out``; → describe() of the copy."""
    name = str(sd["NAME"])
    if not is_memory_sqlite(name) and not os.path.exists(name):
        raise BackupError(f"no database file at {name}")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as tmp:
        copy = os.path.join(tmp, "copy.db")
        with closing(sqlite3.connect(name, uri=True, timeout=30)) as src, closing(sqlite3.connect(copy)) as dst:
            src.backup(dst)  # pages=-1: the whole database in one step, under one read transaction
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed SQLite's check: {check}", 1)
            info = describe(dst.cursor(), "sqlite")
        with open(copy, "rb") as f, gzip.open(out, "wb", compresslevel=6) as z:
            shutil.copyfileobj(f, z, 1024 * 1024)
    return info


def sqlite_unpack(file: Path, dest: Path):
    """gunzip a SQLite backup to ``dest`` and check it; raises BackupError on a bad file."""
    try:
        with gzip.open(file, "rb") as z, open(dest, "wb") as f:
            shutil.copyfileobj(z, f, 1024 * 1024)
            f.flush()
            os.fsync(f.fileno())
        with closing(sqlite3.connect(dest)) as con:
            check = con.execute("PRAGMA integrity_check").fetchone()[0]
    except (OSError, EOFError, sqlite3.DatabaseError) as e:
        raise BackupError(f"{file.name} is not a readable SQLite backup: {e}")
    if check != "ok":
        raise BackupError(f"{file.name} failed SQLite's integrity check: {check}")


def sqlite_restore(file: Path, sd: dict) -> Path | None:
    """Replace the database file atomically with the backup; → where the previous file was kept."""
    from stockbook.core import sqlite as checkpointer

    name = str(sd["NAME"])
    if is_memory_sqlite(name):
        raise BackupError("cannot restore into an in-memory database")
    target = Path(name).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.restore-")
    os.close(fd)
    tmp = Path(tmp)
    try:
        sqlite_unpack(file, tmp)
        # This process's own WAL checkpointer must not touch the file being replaced.
        thread = checkpointer._threads.pop(str(target), None)
        if thread is not None:
            thread.stop()
            thread.join(timeout=10)
        kept = None
        if target.exists():
            with closing(sqlite3.connect(target, timeout=5)) as con:
                busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy and busy[0]:
                raise BackupError(f"{target} is in use by another process (stockbook serve, the job worker?): "
                                  "stop them and restore again", 1)
            from datetime import datetime

            kept = target.with_name(f"{target.name}.pre-restore-{datetime.now():%Y%m%d-%H%M%S-%f}")
            try:
                os.link(target, kept)
            except OSError:
                shutil.copy2(target, kept)
            os.chmod(tmp, target.stat().st_mode & 0o777)  # the same permissions as the file it replaces
        # A WAL left beside the old file would be replayed onto the restored one: remove it first.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        dirfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
        return kept
    finally:
        tmp.unlink(missing_ok=True)


# -- PostgreSQL ---------------------------------------------------------------------------------------
def pg_connect(sd: dict, dbname: str | None = None, **kw):
    import psycopg

    params = {"dbname": dbname or sd["NAME"], "user": sd.get("USER") or None, "password": sd.get("PASSWORD") or None,
              "host": sd.get("HOST") or None, "port": str(sd["PORT"]) if sd.get("PORT") else None}
    for k, v in (sd.get("OPTIONS") or {}).items():
        if k in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "options", "application_name"):
            params[k] = v
    try:
        return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, **kw)
    except psycopg.Error as e:
        raise BackupError(f"cannot connect to PostgreSQL database {params['dbname']}: {e}".strip())


def pg_env(sd: dict) -> dict:
    env = dict(os.environ)
    if sd.get("PASSWORD"):
        env["PGPASSWORD"] = str(sd["PASSWORD"])
    if (sd.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = sd["OPTIONS"]["sslmode"]
    return env


def pg_args(sd: dict) -> list[str]:
    args = []
    if sd.get("HOST"):
        args += ["-h", str(sd["HOST"])]
    if sd.get("PORT"):
        args += ["-p", str(sd["PORT"])]
    if sd.get("USER"):
        args += ["-U", str(sd["USER"])]
    return args


def pg_url(sd: dict, dbname: str) -> str:
    user = quote(str(sd.get("USER") or ""), safe="")
    if sd.get("PASSWORD"):
        user += ":" + quote(str(sd["PASSWORD"]), safe="")
    host = str(sd.get("HOST") or "")
    host = f"[{host}]" if ":" in host else quote(host, safe="")
    port = f":{sd['PORT']}" if sd.get("PORT") else ""
    return f"postgresql://{user + '@' if user else ''}{host}{port}/{quote(dbname, safe='')}"


def pg_tool(name: str, server_major: int) -> str:
    """Path of pg_dump/pg_restore, refusing one older than the server (it could not read its catalog)."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install Debian's postgresql-client (make sysdeps)")
    out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    major = int(m.group(1)) if m else 0
    if major < server_major:
        raise BackupError(f"{name} {major} is older than the PostgreSQL {server_major} server: "
                          f"install postgresql-client-{server_major} or newer")
    return path


def _run(cmd: list[str], env: dict, what: str):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-8:])
        raise BackupError(f"{what} failed (exit {r.returncode}):\n{tail}", 1)


def pg_backup(sd: dict, out: Path) -> dict:
    """pg_dump -Fc inside the snapshot in which the manifest's counts are read; → describe()."""
    import psycopg

    with pg_connect(sd) as con:
        con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        con.read_only = True
        tool = pg_tool("pg_dump", con.info.server_version // 10000)
        with con.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            info = describe(cur, "postgresql")
            info["server_version"] = con.info.parameter_status("server_version")
            _run([tool, "-Fc", f"--snapshot={snapshot}", "-f", str(out), *pg_args(sd), f"--dbname={sd['NAME']}"],
                 pg_env(sd), "pg_dump")
        con.rollback()
    return info


def pg_check_dump(file: Path):
    tool = shutil.which("pg_restore")
    if tool is None:
        raise BackupError("pg_restore not found: install Debian's postgresql-client (make sysdeps)")
    r = subprocess.run([tool, "--list", str(file)], capture_output=True, text=True)
    if r.returncode != 0:
        raise BackupError(f"{file.name} is not a readable pg_dump archive: {r.stderr.strip()[-300:]}")


def pg_restore(file: Path, sd: dict, *, clean: bool):
    """pg_restore in one transaction: the database ends up as the dump says, or unchanged."""
    with pg_connect(sd) as con:
        major = con.info.server_version // 10000
    tool = pg_tool("pg_restore", major)
    cmd = [tool, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
           *(["--clean", "--if-exists"] if clean else []), *pg_args(sd), f"--dbname={sd['NAME']}", str(file)]
    _run(cmd, pg_env(sd), "pg_restore")


def pg_create_database(sd: dict, name: str):
    from psycopg import sql

    with pg_connect(sd, dbname="postgres", autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))


def pg_drop_database(sd: dict, name: str):
    from psycopg import sql

    with pg_connect(sd, dbname="postgres", autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
