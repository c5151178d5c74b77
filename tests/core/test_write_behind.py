"""core/sql.write_behind: big writes of a re-costing run in a second thread inside the caller's transaction."""
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from stockbook.core import sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def table():
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE wb_t (k integer PRIMARY KEY, v integer NOT NULL)")
    return "wb_t"


def _count(table) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*), coalesce(sum(v), 0) FROM {table}")
        return tuple(cur.fetchone())


def _insert(rows, later=True):
    with connection.cursor() as cur:
        sql.insert_rows(cur, "INSERT INTO wb_t (k, v)", rows, later=later)


def _writer_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "write-behind")


def test_big_writes_run_behind_and_are_there_once_drained(table):
    rows = [(k, k % 7) for k in range(1, 1201)]
    with sql.write_behind():
        _insert(rows)
        assert sql._local.writer.thread is not None  # handed over: 1,200 rows ≥ LATER_ROWS
        sql.drain()
        assert _count(table) == (1200, sum(v for _, v in rows))
        _insert([(k, 1) for k in range(2001, 2601)])
    assert sql._local.writer is None and _writer_threads() == 0
    assert _count(table) == (1800, sum(v for _, v in rows) + 600)


def test_small_writes_and_writes_not_marked_later_run_at_once(table):
    with sql.write_behind():
        _insert([(1, 5), (2, 6)])  # fewer rows than LATER_ROWS
        _insert([(k, 1) for k in range(10, 1010)], later=False)
        assert sql._local.writer.thread is None  # no thread was started
        assert _count(table) == (1002, 1011)


def test_once_the_thread_runs_small_later_writes_go_behind_too(table):
    """A statement of this thread waits for the writer's: once the thread runs, a small ``later`` write is handed
    over too; one not marked ``later`` still runs at once."""
    with sql.write_behind():
        _insert([(k, 1) for k in range(1, 601)])  # starts the thread
        writer = sql._local.writer
        handed = []
        submit = writer.submit
        writer.submit = lambda s, p: handed.append(s) or submit(s, p)
        _insert([(1001, 2), (1002, 3)])
        _insert([(1003, 4)], later=False)
        assert len(handed) == 1 and "wb_t" in handed[0]
        sql.drain()
        assert _count(table) == (603, 609)


def test_an_error_behind_is_raised_as_djangos_error_and_the_block_writes_nothing(table):
    _insert([(5, 1)], later=False)
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with sql.write_behind():
                _insert([(k, 1) for k in range(1, 1001)])  # k = 5 exists: the statement fails in the thread
                _insert([(k, 1) for k in range(3001, 4001)])  # not run after the failure
    assert _count(table) == (1, 1)
    assert sql._local.writer is None and _writer_threads() == 0


def test_an_error_in_the_block_waits_for_the_thread_before_the_rollback(table):
    with pytest.raises(ValueError):
        with transaction.atomic():
            with sql.write_behind():
                _insert([(k, 1) for k in range(1, 3001)])
                raise ValueError("a document error")
    assert _writer_threads() == 0
    assert _count(table) == (0, 0)


def test_while_queries_are_logged_everything_runs_at_once_and_is_logged(table):
    with CaptureQueriesContext(connection) as q:
        with sql.write_behind():
            _insert([(k, 1) for k in range(1, 1001)])
            assert sql._local.writer is None
    assert sum("INSERT INTO wb_t" in x["sql"] for x in q.captured_queries) == 2  # 500 rows per statement
    assert _count(table) == (1000, 1000)


def test_nested_blocks_share_the_outer_thread(table):
    with sql.write_behind():
        outer = sql._local.writer
        with sql.write_behind():
            assert sql._local.writer is outer
            _insert([(k, 1) for k in range(1, 1001)])
        assert sql._local.writer is outer  # the inner block leaves the outer one's writer alone
    assert _count(table) == (1000, 1000)


def test_the_switch_interval_is_short_only_while_a_writer_runs(table):
    import sys

    before = sys.getswitchinterval()
    with sql.write_behind():
        _insert([(k, 1) for k in range(1, 11)])
        assert sys.getswitchinterval() == before  # no thread yet
        _insert([(k, 1) for k in range(11, 1011)])
        assert sys.getswitchinterval() == pytest.approx(sql.SWITCH)  # kept in whole microseconds
    assert sys.getswitchinterval() == before


def test_a_writer_holds_the_checkpoint_valve_until_the_transaction_ends(table, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr(sql, "hold_valve", lambda conn: calls.append("hold") or True)
    monkeypatch.setattr(sql, "release_valve", lambda conn: calls.append("release"))
    with django_capture_on_commit_callbacks(execute=True):
        with sql.write_behind():
            _insert([(k, 1) for k in range(1, 11)])
            assert calls == []  # no thread, no valve
            _insert([(k, 1) for k in range(11, 1011)])
        assert calls == ["hold"]
    assert calls == ["hold", "release"]  # at commit
    calls.clear()
    with pytest.raises(ValueError):
        with transaction.atomic():
            with sql.write_behind():
                _insert([(k, 1) for k in range(2001, 3001)])
                raise ValueError("a document error")
    assert calls == ["hold", "release"]  # no commit: released at once


def test_big_updates_run_behind(table):
    _insert([(k, 1) for k in range(1, 1201)], later=False)
    with sql.write_behind():
        with connection.cursor() as cur:
            sql.update_rows(cur, "wb_t", ("k",), "v", [(k, k % 5) for k in range(1, 1001)], pg_type="bigint", later=True)
            assert sql._local.writer.thread is not None
    assert _count(table) == (1200, sum(k % 5 for k in range(1, 1001)) + 200)
