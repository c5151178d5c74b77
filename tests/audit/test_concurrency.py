"""PostgreSQL: concurrent writers append to one chain — gapless, every link right (the head row is locked
from the append to the commit). SQLite writers are serial, so there is nothing to race there."""
import threading

import pytest
from django.db import connection, connections, transaction

from stockbook.audit import record
from stockbook.audit.models import AuditEntry
from stockbook.audit.verify import verify

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_appends_keep_one_gapless_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writers are serial")
    workers, each = 6, 15
    barrier = threading.Barrier(workers)
    errors = []

    def run(w):
        try:
            barrier.wait(timeout=10)
            for i in range(each):
                if i % 5 == 4:  # a change that fails: its entry goes with it
                    try:
                        with transaction.atomic():
                            record("update", object_type="test.race", object_id=f"{w}-{i}", remark="rolled back")
                            raise RuntimeError
                    except RuntimeError:
                        pass
                else:
                    with transaction.atomic():
                        record("update", object_type="test.race", object_id=f"{w}-{i}")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    assert errors == []
    n = workers * each * 4 // 5
    assert sorted(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, n + 1))
    assert not AuditEntry.objects.filter(remark="rolled back").exists()
    res = verify()
    assert res.ok, res.problems
