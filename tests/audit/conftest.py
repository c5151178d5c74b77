import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def empty_log(request):
    """Each test starts from an empty chain: what set-up recorded (e.g. roles created after migrate) is wiped
    inside the test's own transaction, so it comes back afterwards."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        marker = request.node.get_closest_marker("django_db")
        if marker is None:
            return
    request.getfixturevalue("db")
    with guards_off():
        sql("DELETE FROM audit_auditentry")
        sql("DELETE FROM audit_chainhead")


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.STOCKBOOK_AUDIT_ARCHIVE_DIR = tmp_path / "audit-archive"
    return settings.STOCKBOOK_AUDIT_ARCHIVE_DIR


def make(n: int, start: int = 1) -> list[int]:
    """n entries of a made-up object, each with before/after values; returns their seqs."""
    from stockbook.audit import record

    return [record("update", object_type="test.thing", object_id=i, object_repr=f"东西 {i}", before={"v": i}, after={"v": i + 1},
                   remark=f"r{i}") for i in range(start, start + n)]


def sql(q: str, params=()):
    with connection.cursor() as c:
        c.execute(q, params)
        return c.fetchall() if c.description else None


@contextmanager
def guards_off():
    """What someone with database rights does first: switch the append-only triggers off (and on again)."""
    from stockbook.audit import guards

    if connection.vendor == "postgresql":
        for t in ("audit_auditentry", "audit_chainhead"):
            sql(f"ALTER TABLE {t} DISABLE TRIGGER USER")
        yield
        for t in ("audit_auditentry", "audit_chainhead"):
            sql(f"ALTER TABLE {t} ENABLE TRIGGER USER")
    else:
        guards.uninstall(connection)
        yield
        guards.install(connection)


def problems(res) -> list[tuple[str, int | None]]:
    return [(p.kind, p.seq) for p in res.problems]


@contextmanager
def clock(when: dt.datetime):
    """timezone.now() returns ``when`` (moving on by 1 µs per call, as a real clock would)."""
    from unittest import mock

    state = {"t": when}

    def now():
        state["t"] += dt.timedelta(microseconds=1)
        return state["t"]

    with mock.patch("django.utils.timezone.now", now):
        yield
