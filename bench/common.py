"""Machine description, fresh databases and timing helpers shared by the benchmarks."""
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid

PG_URL_BASE = os.environ.get("PG_URL_BASE", "postgresql://postgres@127.0.0.1:5432")


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import sqlite3

    try:
        load = "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = ""

    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "os": f"{platform.system()} {platform.release()}", "load": load,
    }


def pg_version() -> str:
    try:
        out = subprocess.run(["psql", f"{PG_URL_BASE}/postgres", "-Atc", "show server_version"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def new_pg_database(prefix="stockbook_bench") -> str:
    """Create an empty PostgreSQL database; returns its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_URL_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_URL_BASE}/{name}"


def drop_pg_database(url: str):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{PG_URL_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_URL_BASE}/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def django_setup(db_url: str):
    """Point Stockbook at db_url, set Django up and migrate (a fresh database is created on first use)."""
    os.environ["STOCKBOOK_DATABASE_URL"] = db_url
    from stockbook.cli import _setup

    _setup(db_url)


def timed(fn, *args, **kw):
    t = time.perf_counter()
    res = fn(*args, **kw)
    return time.perf_counter() - t, res


def median(xs):
    return statistics.median(xs)


def log(*a):
    print(*a, file=sys.stderr, flush=True)
