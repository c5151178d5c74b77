"""Writing many rows with one statement: ``INSERT … VALUES (…), (…), …``.

``cursor.executemany`` runs its statement once per row; on PostgreSQL each run is parsed and planned again
by the server (Django binds parameters on the client), so a 10-line document's ~6 multi-row writes cost
~60 statement executions. One multi-row statement per chunk is parsed once. The chunk keeps the number of
parameters under SQLite's limit (32,766) and PostgreSQL's (65,535).
"""
import sqlite3
from functools import lru_cache

from django.db import connection

MAX_PARAMS = 30000
MAX_ROWS = 500


@lru_cache(maxsize=128)
def _qmark(sql: str) -> str:
    """Django's SQLite placeholder rewrite (``%s`` → ``?``, ``%%`` → ``%``), once per distinct statement."""
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def execute(cur, sql: str, params: list):
    """``cur.execute(sql, params)``. On SQLite a statement of thousands of placeholders is rewritten by Django
    with a regular expression on every call (≈ 1 ms for 7,500): here once per distinct text, the errors still
    translated. Not while queries are being logged (DEBUG, tests counting queries): then Django's own path."""
    if connection.vendor != "sqlite" or connection.queries_logged:
        return cur.execute(sql, params)
    with connection.wrap_database_errors:
        return sqlite3.Cursor.execute(cur.cursor, _qmark(sql), params)


def values(rows) -> tuple[str, list]:
    """``VALUES (%s, …), (%s, …)`` for ``rows`` (tuples of equal width) and their parameters, flat."""
    one = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    return f"VALUES {', '.join([one] * len(rows))}", [x for r in rows for x in r]


def insert_rows(cur, head: str, rows: list, tail: str = ""):
    """Run ``{head} VALUES (…), (…) {tail}`` for ``rows`` (tuples of equal width) in as few statements as
    the parameter limits allow. ``head``: ``INSERT INTO t (a, b)``; ``tail``: e.g. an ``ON CONFLICT``
    clause (an upsert's rows must have distinct keys: PostgreSQL refuses to update one row twice)."""
    if not rows:
        return
    step = max(1, min(MAX_ROWS, MAX_PARAMS // len(rows[0])))
    for i in range(0, len(rows), step):
        sql, params = values(rows[i:i + step])
        execute(cur, f"{head} {sql} {tail}".rstrip(), params)


def update_rows(cur, table: str, keys: tuple[str, ...], column: str, rows: list, pg_type: str = ""):
    """``UPDATE {table} SET {column} = v.… FROM (VALUES …) AS v WHERE {table}.{key} = v.…`` for ``rows`` — the
    key values then the new value — in as few statements as the parameter limits allow. ``pg_type``: the
    column's type on PostgreSQL, which types a VALUES column from its parameters (JSON text, all NULLs: text)."""
    if not rows:
        return
    cast = f"::{pg_type}" if pg_type and connection.vendor == "postgresql" else ""
    width = len(keys) + 1
    match = " AND ".join(f"{table}.{k} = v.column{n}" for n, k in enumerate(keys, 1))
    step = max(1, min(MAX_ROWS, MAX_PARAMS // width))
    for i in range(0, len(rows), step):
        sql, params = values(rows[i:i + step])
        execute(cur, f"UPDATE {table} SET {column} = v.column{width}{cast} FROM ({sql}) AS v WHERE {match}", params)
