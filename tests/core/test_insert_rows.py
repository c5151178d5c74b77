"""core/sql.insert_rows: one multi-row INSERT per chunk; on PostgreSQL a plain insert is one COPY."""
from datetime import date, datetime, timezone

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from stockbook.core import sql

pytestmark = pytest.mark.django_db

HEAD = "INSERT INTO ir_t (k, n, s, d, t, b, j)"
ROWS = [
    (1, 12345678901234, "库存商品 1405", date(2024, 2, 29), datetime(2024, 3, 1, 8, 30, tzinfo=timezone.utc), True, '{"value": 248448}'),
    (2, None, "", date(2025, 12, 31), None, False, None),
    (3, -5, "引号 ' 反斜杠 \\ 制表\t换行\n", date(2024, 1, 1), datetime(2024, 1, 1, tzinfo=timezone.utc), False, '{"a": [1, 2]}'),
]


@pytest.fixture
def table():
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    when = "timestamptz" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE ir_t (k integer PRIMARY KEY, n bigint NULL, s varchar(100) NOT NULL, d date NOT NULL, "
                    f"t {when} NULL, b boolean NOT NULL, j {json_type} NULL)")
    return "ir_t"


def _rows():
    with connection.cursor() as cur:
        cur.execute("SELECT k, n, s, d, t, b, j FROM ir_t ORDER BY k")
        return [tuple(r) for r in cur.fetchall()]


def _insert(rows, tail=""):
    with connection.cursor() as cur:
        sql.insert_rows(cur, HEAD, rows, tail)


def _copies(monkeypatch) -> list:
    calls = []
    real = sql._copy
    monkeypatch.setattr(sql, "_copy", lambda cur, head, rows: calls.append(len(rows)) or real(cur, head, rows))
    return calls


def test_the_rows_read_back_the_same_by_either_path(table, monkeypatch):
    copies = _copies(monkeypatch)
    _insert(ROWS)
    by_copy = _rows()
    assert copies == ([3] if connection.vendor == "postgresql" else [])
    with connection.cursor() as cur:
        cur.execute("DELETE FROM ir_t")
    with CaptureQueriesContext(connection) as q:  # queries logged: the INSERT (a COPY would not be logged)
        _insert(ROWS)
    assert [x["sql"].split(" (")[0] for x in q.captured_queries] == ["INSERT INTO ir_t"]
    assert _rows() == by_copy
    assert [r[0] for r in by_copy] == [1, 2, 3] and by_copy[0][2] == "库存商品 1405" and by_copy[2][2] == ROWS[2][2]
    assert by_copy[0][3] == date(2024, 2, 29) and by_copy[1][1] is None and by_copy[1][6] is None


def test_an_upsert_is_never_a_copy(table, monkeypatch):
    copies = _copies(monkeypatch)
    _insert(ROWS)
    _insert([(1, 7, "x", date(2024, 1, 2), None, False, None)], tail="ON CONFLICT (k) DO UPDATE SET n = excluded.n")
    assert _rows()[0][1] == 7 and len(copies) == (1 if connection.vendor == "postgresql" else 0)


def test_a_duplicate_key_is_djangos_integrity_error_and_writes_nothing(table):
    _insert(ROWS[:1])
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert([(5, 1, "a", date(2024, 1, 1), None, True, None), ROWS[0]])
    assert [r[0] for r in _rows()] == [1]


def test_many_rows_are_all_written(table):
    rows = [(k, k * 3, f"行{k}", date(2024, 1 + k % 12, 1), None, k % 2 == 0, None) for k in range(1, 2502)]
    _insert(rows)
    got = _rows()
    assert len(got) == 2501 and sum(r[1] for r in got) == 3 * sum(range(1, 2502))
