"""Writing many rows with one statement: ``INSERT … VALUES (…), (…), …``.

``cursor.executemany`` runs its statement once per row; on PostgreSQL each run is parsed and planned again
by the server (Django binds parameters on the client), so a 10-line document's ~6 multi-row writes cost
~60 statement executions. One multi-row statement per chunk is parsed once. The chunk keeps the number of
parameters under SQLite's limit (32,766) and PostgreSQL's (65,535). On PostgreSQL a plain insert (no
``ON CONFLICT``) goes as one ``COPY … FROM STDIN`` instead: psycopg splits a statement of more than 50
parameters with a regular expression on every call and quotes each value into its text (client-side
binding, Django's default), and the server parses that text again; COPY sends the rows as data. That took
a 10-line document from ≈ 11 to ≈ 9.3 ms of CPU (client and server; docs/benchmarks.md). Not while queries
are being logged (a COPY is not a logged query): then the ``INSERT``.

A re-costing writes tens of thousands of rows (line results, move values, correction lines) while it still
has as much Python work to do (the corrections). ``write_behind()`` lets such big writes run in a second
thread on the same database connection and transaction while this thread goes on: SQLite (a serialized
connection) and PostgreSQL's driver release the interpreter lock while the database works, so the two
overlap on two cores. A statement is handed over only when its caller says so (``later=True``) and it is big
(a normal posting never starts the thread). Code that reads what a handed-over statement writes calls
``drain()`` first; leaving the block drains, and re-raises the first error there, before the transaction
can commit. An error in the block waits for the thread before the transaction rolls back.
"""
import queue
import sqlite3
import sys
import threading
from contextlib import contextmanager
from functools import lru_cache

from django.db import connection, transaction

from .sqlite import hold_valve, release_valve

MAX_PARAMS = 30000
MAX_ROWS = 500
LATER_ROWS = 500  # fewer rows than this are written at once even when ``later`` (not worth starting the thread: ``_behind``)
# the interpreter's thread switch interval while a writer thread runs (default 5 ms): a writer whose statement is
# done waits that long for the interpreter lock while this thread computes; at 0.2 ms the two overlap
# (docs/benchmarks.md)
SWITCH = 0.0002


@lru_cache(maxsize=128)
def _qmark(sql: str) -> str:
    """Django's SQLite placeholder rewrite (``%s`` → ``?``, ``%%`` → ``%``), once per distinct statement."""
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def execute(cur, sql: str, params: list, later: bool = False):
    """``cur.execute(sql, params)``. On SQLite a statement of thousands of placeholders is rewritten by Django
    with a regular expression on every call (≈ 1 ms for 7,500): here once per distinct text, the errors still
    translated. Not while queries are being logged (DEBUG, tests counting queries): then Django's own path.
    ``later``: hand the statement to the active ``write_behind()``, if any."""
    writer = _local.writer if later else None
    if writer is not None:
        return writer.submit(sql, params)
    if connection.vendor != "sqlite" or connection.queries_logged:
        return cur.execute(sql, params)
    with connection.wrap_database_errors:
        return sqlite3.Cursor.execute(cur.cursor, _qmark(sql), params)


def values(rows) -> tuple[str, list]:
    """``VALUES (%s, …), (%s, …)`` for ``rows`` (tuples of equal width) and their parameters, flat."""
    one = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    params: list = []
    extend = params.extend
    for r in rows:  # 3× faster than a nested comprehension: a re-costing flattens a million values
        extend(r)
    return f"VALUES {', '.join([one] * len(rows))}", params


def insert_rows(cur, head: str, rows: list, tail: str = "", later: bool = False):
    """Run ``{head} VALUES (…), (…) {tail}`` for ``rows`` (tuples of equal width) in as few statements as
    the parameter limits allow. ``head``: ``INSERT INTO t (a, b)``; ``tail``: e.g. an ``ON CONFLICT``
    clause (an upsert's rows must have distinct keys: PostgreSQL refuses to update one row twice).
    ``later``: see ``write_behind``."""
    if not rows:
        return
    later = _behind(later, rows)
    if not tail and connection.vendor == "postgresql" and not connection.queries_logged:
        if later and _local.writer is not None:
            return _local.writer.submit_copy(head, rows)
        return _copy(cur, head, rows)
    step = max(1, min(MAX_ROWS, MAX_PARAMS // len(rows[0])))
    for i in range(0, len(rows), step):
        sql, params = values(rows[i:i + step])
        execute(cur, f"{head} {sql} {tail}".rstrip(), params, later)


def _copy_sql(head: str) -> str:
    """``INSERT INTO t (a, b)`` → ``COPY t (a, b) FROM STDIN``."""
    assert head.startswith("INSERT INTO ")
    return "COPY " + head[len("INSERT INTO "):] + " FROM STDIN"


def _copy(cur, head: str, rows: list):
    """PostgreSQL: the plain insert ``head`` of ``rows`` as one COPY (see the module's text)."""
    with connection.wrap_database_errors:
        _copy_rows(cur.cursor, _copy_sql(head), rows)


def _copy_rows(raw_cursor, sql: str, rows):
    """Run the ``COPY … FROM STDIN`` ``sql`` on a psycopg cursor with ``rows``."""
    with raw_cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _behind(later: bool, rows: list) -> bool:
    """Whether a ``later`` write of ``rows`` goes to the writer thread: if it is big (a few rows are not worth
    starting the thread), or the thread runs already — then this thread need not wait for the connection
    (SQLite runs one statement at a time: a statement of this thread waits for the writer's, ≈ 5 ms)."""
    return later and (len(rows) >= LATER_ROWS or (_local.writer is not None and _local.writer.thread is not None))


def update_rows(cur, table: str, keys: tuple[str, ...], column: str, rows: list, pg_type: str = "", later: bool = False):
    """``UPDATE {table} SET {column} = v.… FROM (VALUES …) AS v WHERE {table}.{key} = v.…`` for ``rows`` — the
    key values then the new value — in as few statements as the parameter limits allow. ``pg_type``: the
    column's type on PostgreSQL, which types a VALUES column from its parameters (JSON text, all NULLs: text).
    ``later``: see ``write_behind``."""
    if not rows:
        return
    later = _behind(later, rows)
    if later and pg_type and _local.writer is not None and _local.writer.copy:
        return _local.writer.submit_update(table, keys, column, rows, pg_type)
    cast = f"::{pg_type}" if pg_type and connection.vendor == "postgresql" else ""
    width = len(keys) + 1
    match = " AND ".join(f"{table}.{k} = v.column{n}" for n, k in enumerate(keys, 1))
    step = max(1, min(MAX_ROWS, MAX_PARAMS // width))
    for i in range(0, len(rows), step):
        sql, params = values(rows[i:i + step])
        execute(cur, f"UPDATE {table} SET {column} = v.column{width}{cast} FROM ({sql}) AS v WHERE {match}", params, later)


# -- write-behind ------------------------------------------------------------------------------------------
class _Local(threading.local):
    writer: "_Writer | None" = None


_local = _Local()
_switch = {"users": 0, "was": 0.005}
_switch_lock = threading.Lock()


def _fast_switch(delta: int):
    """The short switch interval while any writer thread of the process runs (it is process-wide)."""
    with _switch_lock:
        if delta > 0 and _switch["users"] == 0:
            _switch["was"] = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH)
        _switch["users"] += delta
        if delta < 0 and _switch["users"] == 0:
            sys.setswitchinterval(_switch["was"])


class _Writer:
    """The thread that runs handed-over statements, in order, on the caller's database connection (its own
    cursor: a connection may be shared between threads, a cursor may not). Started by the first statement."""

    def __init__(self):
        self.raw = connection.connection  # the driver's connection, inside the caller's transaction
        self.qmark = connection.vendor == "sqlite"
        # PostgreSQL: plain inserts go by COPY (the driver parses a statement of thousands of placeholders
        # in Python, holding the interpreter lock: 3 s for 83,274 correction lines)
        self.copy = connection.vendor == "postgresql"
        self.temps = 0
        self.jobs: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def submit(self, sql: str, params: list):
        if self.error is not None:  # the transaction is lost: stop here, not at the end of the block
            self.drain()
        if self.thread is None:  # a big transaction: its commit is left without the valve's checkpoint (core/sqlite)
            if hold_valve(connection):
                transaction.on_commit(lambda: release_valve(connection))
            _fast_switch(+1)
            self.thread = threading.Thread(target=self._run, name="write-behind", daemon=True)
            self.thread.start()
        self.jobs.put((_qmark(sql) if self.qmark else sql, params))

    def submit_copy(self, head: str, rows: list):
        """``head`` (``INSERT INTO t (a, b)``) ``rows`` as a PostgreSQL COPY."""
        self.submit(_copy_sql(head), _CopyRows(rows))

    def submit_update(self, table: str, keys: tuple[str, ...], column: str, rows: list, pg_type: str):
        """``update_rows`` on PostgreSQL: the rows copied into a temporary table (integer keys, the value of
        type ``pg_type``), then one ``UPDATE … FROM`` it."""
        self.temps += 1
        tmp = f"sb_write_behind_{self.temps}"
        cols = ", ".join(f"k{n} bigint" for n in range(1, len(keys) + 1))
        self.submit(f"CREATE TEMPORARY TABLE {tmp} ({cols}, v {pg_type}) ON COMMIT DROP", [])
        self.submit(f"COPY {tmp} FROM STDIN", _CopyRows(rows))
        match = " AND ".join(f"{table}.{k} = u.k{n}" for n, k in enumerate(keys, 1))
        self.submit(f"UPDATE {table} SET {column} = u.v FROM {tmp} u WHERE {match}", [])
        self.submit(f"DROP TABLE {tmp}", [])

    def _run(self):
        cur = self.raw.cursor()
        try:
            while True:
                job = self.jobs.get()
                try:
                    if job is None:
                        return
                    if self.error is None:
                        sql, params = job
                        if isinstance(params, _CopyRows):
                            _copy_rows(cur, sql, params)
                        else:
                            cur.execute(sql, params)
                except BaseException as e:  # kept for the caller's thread (drain)
                    self.error = e
                finally:
                    self.jobs.task_done()
        finally:
            cur.close()

    def drain(self):
        """Wait until every handed-over statement has run; raise the first error (as Django's error)."""
        if self.thread is not None:
            self.jobs.join()
        if self.error is not None:
            e, self.error = self.error, None
            with connection.wrap_database_errors:
                raise e

    def stop(self):
        if self.thread is not None:
            self.jobs.put(None)
            self.thread.join()
            self.thread = None
            _fast_switch(-1)


class _CopyRows(list):
    """The rows of a COPY job."""


@contextmanager
def write_behind():
    """Inside a transaction: big ``later`` writes of the block run in a second thread (see the module's
    text). Outside a transaction, while queries are logged, or nested: no thread, every write at once."""
    if _local.writer is not None or not connection.in_atomic_block or connection.queries_logged:
        yield
        return
    writer = _local.writer = _Writer()
    try:
        yield
        writer.drain()
    except BaseException:
        release_valve(connection)  # no commit follows
        raise
    finally:
        _local.writer = None
        writer.stop()


def drain():
    """Before reading rows a handed-over statement writes: wait for the active ``write_behind``, if any."""
    if _local.writer is not None:
        _local.writer.drain()
