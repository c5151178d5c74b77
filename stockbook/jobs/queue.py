"""The one huey instance of Stockbook, its storage chosen by STOCKBOOK_HUEY_URL (a Django setting or
the environment):

- ``sqlite:///path/huey.db`` (the default: ``sqlite:///<var>/huey.db``) — SqliteHuey, nothing to run
  besides the worker;
- ``redis://host:6379/0`` (also ``rediss://``, ``unix://``) — RedisHuey, for production;
- ``memory://`` — in-process only (tests, one-off commands).

Tasks live in ``<app>/tasks.py`` modules (discovered in every installed app) and use ``db_task`` /
``db_periodic_task`` from here, which give each run fresh database connections in a worker.
Periodic schedules are in settings.TIME_ZONE (the consumer runs with ``utc=False``; Django sets the
process's TZ to TIME_ZONE).
"""
import os
import sqlite3
from contextlib import closing
from functools import wraps
from pathlib import Path

from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

NAME = "stockbook"


class LazySqliteStorage(SqliteStorage):
    """SqliteStorage that creates its file (and directory) on first use, not on import."""

    def __init__(self, name="huey", filename="huey.db", **kw):
        kw["create_tables"] = False
        self._schema_ready = False
        super().__init__(name=name, filename=filename, **kw)

    def _create_connection(self):
        if not self._schema_ready:
            Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.filename, timeout=self._timeout)) as con:
                self._set_journal_mode(con)
                for ddl in self.ddl:
                    con.execute(ddl)
                con.commit()
            self._schema_ready = True
        return super()._create_connection()


def default_url() -> str:
    from django.conf import settings

    return f"sqlite:///{Path(settings.VAR_DIR) / 'huey.db'}"


def configured_url() -> str:
    from django.conf import settings

    return getattr(settings, "STOCKBOOK_HUEY_URL", None) or os.environ.get("STOCKBOOK_HUEY_URL") or default_url()


def storage_for(url: str) -> tuple[type, dict]:
    """(storage class, its keyword arguments) for a STOCKBOOK_HUEY_URL."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if not path:
            raise ValueError("STOCKBOOK_HUEY_URL sqlite:/// needs a file path")
        return LazySqliteStorage, {"filename": path}
    if url.split("://", 1)[0] in ("redis", "rediss", "unix"):
        return RedisStorage, {"url": url}
    if url == "memory://":
        return MemoryStorage, {}
    raise ValueError(f"STOCKBOOK_HUEY_URL must start with sqlite:///, redis:// or memory://, not {url!r}")


def describe_url(url: str) -> str:
    """The URL for people: without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


_url = configured_url()
huey = Huey(NAME, utc=False, storage_class=storage_for(_url)[0], **storage_for(_url)[1])
huey.url = _url


def configure(url: str | None = None) -> str:
    """Point the huey instance at the storage of ``url`` (default: the configured one); → the URL."""
    url = url or configured_url()
    cls, kw = storage_for(url)
    try:
        huey.storage.close()
    except Exception:
        pass
    huey.storage_class = cls
    huey.storage_kwargs = kw
    huey.storage = huey.create_storage()
    huey.url = url
    return url


def close_db(fn):
    """Fresh Django database connections around a task run by a worker — not in immediate mode nor
    inside a transaction, where the caller's connection is in use."""

    def fresh():
        from django.db import close_old_connections, connection

        if not huey.immediate and not connection.in_atomic_block:
            close_old_connections()

    @wraps(fn)
    def inner(*args, **kwargs):
        fresh()
        try:
            return fn(*args, **kwargs)
        finally:
            fresh()

    return inner


def db_task(*args, **kwargs):
    def decorator(fn):
        wrapper = huey.task(*args, **kwargs)(close_db(fn))
        wrapper.call_local = fn
        return wrapper

    return decorator


schedules: dict[str, str] = {}  # periodic task name → its cron text, for `stockbook jobs list`


def cron(text: str):
    """huey's crontab from "minute hour day month day-of-week" (e.g. "30 2 * * *"); None for "off"."""
    from huey import crontab

    text = (text or "").strip()
    if text.lower() in ("", "off", "none", "never"):
        return None
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(f"a schedule is five cron fields (minute hour day month day-of-week), not {text!r}")
    try:
        return crontab(*parts, strict=True)
    except ValueError as e:
        raise ValueError(f"bad schedule {text!r}: {e}") from None


def db_periodic_task(schedule, *args, **kwargs):
    """A periodic task; ``schedule`` is a cron text ("30 2 * * *") or a huey crontab."""
    text = schedule if isinstance(schedule, str) else None
    if text is not None:
        schedule = cron(text)
        if schedule is None:
            raise ValueError("use db_task for a task without a schedule")

    def decorator(fn):
        wrapper = huey.periodic_task(schedule, *args, **kwargs)(close_db(fn))
        wrapper.call_local = fn
        schedules[huey._registry.task_to_string(wrapper.task_class)] = text or "custom"
        return wrapper

    return decorator


def discover() -> dict:
    """Import every installed app's ``tasks`` module (and Stockbook's own jobs); → {name: task class}."""
    from django.utils.module_loading import autodiscover_modules

    import stockbook.jobs.tasks  # noqa: F401

    autodiscover_modules("tasks")
    return dict(huey._registry._registry)


def find(name: str):
    """A registered task by its full name (stockbook.jobs.tasks.backup) or its last part (backup)."""
    tasks = discover()
    if name in tasks:
        return tasks[name]
    hits = [t for full, t in tasks.items() if full.rsplit(".", 1)[-1] == name]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise LookupError(f"task name {name!r} is ambiguous: " + ", ".join(sorted(f for f in tasks if f.endswith("." + name))))
    raise LookupError(f"no task {name!r}; known: " + ", ".join(sorted(tasks)))
