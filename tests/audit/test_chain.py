"""The hash chain: appending, verifying, and tampering straight in the database (edit, delete, insert) —
``verify`` must fail and name the row. Runs on SQLite and PostgreSQL alike (STOCKBOOK_DATABASE_URL)."""
import hashlib

import pytest
from django.db import DatabaseError, transaction

from stockbook.audit import record
from stockbook.audit.chain import key_id
from stockbook.audit.models import GENESIS, AuditEntry, ChainHead
from stockbook.audit.verify import verify

from .conftest import guards_off, make, problems, sql

pytestmark = pytest.mark.django_db


def test_append_links_each_entry_to_the_one_before_and_verifies():
    assert make(5) == [1, 2, 3, 4, 5]
    rows = list(AuditEntry.objects.order_by("seq"))
    assert rows[0].prev_hash == GENESIS
    for a, b in zip(rows, rows[1:]):
        assert b.prev_hash == a.hash and b.hash != a.hash
    head = ChainHead.objects.get(pk=1)
    assert (head.seq, head.hash, head.key_id) == (5, rows[-1].hash, key_id())
    assert rows[2].before == '{"v": 3}' and rows[2].after == '{"v": 4}' and rows[2].object_repr == "东西 3"
    res = verify()
    assert res.ok, res.problems
    assert (res.entries, res.head_seq) == (5, 5)


def test_empty_log_verifies():
    res = verify()
    assert res.ok and res.entries == 0


def test_a_rolled_back_change_leaves_no_entry():
    make(2)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record("create", object_type="test.thing", object_id=9)
            assert AuditEntry.objects.count() == 3
            raise RuntimeError("the change failed")
    assert AuditEntry.objects.count() == 2
    assert ChainHead.objects.get(pk=1).seq == 2
    assert make(1, start=3) == [3]  # the seq is not lost either: no gap
    assert verify().ok


def test_the_database_refuses_updates_and_deletes():
    make(3)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=2).update(remark="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=3).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(seq=2)
    with pytest.raises(DatabaseError), transaction.atomic():
        ChainHead.objects.all().delete()
    assert AuditEntry.objects.count() == 3
    assert verify().ok


def test_disabled_guards_are_reported():
    make(2)
    from django.db import connection

    from stockbook.audit import guards

    guards.uninstall(connection) if connection.vendor == "sqlite" else sql("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
    res = verify()
    assert not res.ok and {p.kind for p in res.problems} == {"guard"}
    guards.install(connection)
    assert verify().ok


# -- tampering -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("column, value", [("remark", "nothing happened"), ("username", "someone_else"),
                                           ("after", '{"v": 999}'), ("ip", "10.0.0.1")])
def test_edited_row_is_named(column, value):
    make(5)
    with guards_off():
        sql(f"UPDATE audit_auditentry SET {column} = %s WHERE seq = 3", [value])
    res = verify()
    assert problems(res) == [("edited", 3)]
    assert "seq 3 [edited]" in str(res.problems[0])


def test_edited_time_is_named():
    make(5)
    with guards_off():
        sql("UPDATE audit_auditentry SET at = (SELECT at FROM audit_auditentry WHERE seq = 1) WHERE seq = 4")
    assert problems(verify()) == [("edited", 4)]


def test_edit_with_a_recomputed_hash_is_still_named():
    """Whoever edits the row also rewrites its hash (and the next row's link) — without the key the hash
    cannot be right."""
    make(5)
    fake = hashlib.sha256(b"forged").hexdigest()
    with guards_off():
        sql("UPDATE audit_auditentry SET remark = 'forged', hash = %s WHERE seq = 2", [fake])
        sql("UPDATE audit_auditentry SET prev_hash = %s WHERE seq = 3", [fake])
    res = verify()
    assert ("edited", 2) in problems(res)
    assert {p.seq for p in res.problems} <= {2, 3}


def test_deleted_row_is_named():
    make(5)
    with guards_off():
        sql("DELETE FROM audit_auditentry WHERE seq = 3")
    res = verify()
    assert problems(res) == [("deleted", 3)]


def test_deleted_rows_are_named_as_a_range():
    make(6)
    with guards_off():
        sql("DELETE FROM audit_auditentry WHERE seq IN (2, 3, 4)")
    res = verify()
    assert [(p.kind, p.seq, p.seq_to) for p in res.problems] == [("deleted", 2, 4)]
    assert "seq 2-4 [deleted]" in str(res.problems[0])


def test_deleted_last_row_is_named():
    make(5)
    with guards_off():
        sql("DELETE FROM audit_auditentry WHERE seq = 5")
    assert problems(verify()) == [("deleted", 5)]


def test_deleted_last_row_with_the_head_wound_back_is_caught():
    rows = make(5)
    h4 = AuditEntry.objects.get(seq=4).hash
    with guards_off():
        sql("DELETE FROM audit_auditentry WHERE seq = 5")
        sql("UPDATE audit_chainhead SET seq = 4, hash = %s WHERE id = 1", [h4])
    res = verify()
    assert ("head", 4) in problems(res) and len(rows) == 5


def test_deleted_row_with_later_rows_renumbered_is_named():
    make(5)
    with guards_off():
        sql("DELETE FROM audit_auditentry WHERE seq = 3")
        sql("UPDATE audit_auditentry SET seq = seq + 1000 WHERE seq > 3")
        sql("UPDATE audit_auditentry SET seq = seq - 1001 WHERE seq > 1000")
    res = verify()
    assert problems(res)[0] == ("relinked", 3)
    assert "seq 3 [relinked]" in str(res.problems[0])


def _insert(seq: int, copy_of: int, hash_sql: str = "hash", prev_sql: str = "prev_hash"):
    sql("INSERT INTO audit_auditentry (seq, at, user_id, username, ip, action, object_type, object_id, object_repr, "
        f"before, after, remark, prev_hash, hash) SELECT %s, at, user_id, 'intruder', ip, action, object_type, object_id, "
        f"object_repr, before, after, 'inserted', {prev_sql}, {hash_sql} FROM audit_auditentry WHERE seq = %s", [seq, copy_of])


def test_inserted_row_at_the_end_is_named():
    make(5)
    h5 = AuditEntry.objects.get(seq=5).hash
    with guards_off():
        _insert(6, 5, hash_sql=f"'{hashlib.sha256(b'x').hexdigest()}'", prev_sql=f"'{h5}'")
    assert problems(verify()) == [("inserted", 6)]


def test_inserted_copy_of_a_valid_row_is_named():
    make(5)
    with guards_off():
        sql("INSERT INTO audit_auditentry (seq, at, user_id, username, ip, action, object_type, object_id, object_repr, "
            "before, after, remark, prev_hash, hash) SELECT 6, at, user_id, username, ip, action, object_type, object_id, "
            "object_repr, before, after, remark, prev_hash, hash FROM audit_auditentry WHERE seq = 2")
    assert problems(verify()) == [("inserted", 6)]


def test_inserted_row_in_the_middle_is_named():
    """Rows 3.. are moved up one and a row is slipped in at 3."""
    make(5)
    h2 = AuditEntry.objects.get(seq=2).hash
    with guards_off():
        sql("UPDATE audit_auditentry SET seq = seq + 1000 WHERE seq >= 3")
        sql("UPDATE audit_auditentry SET seq = seq - 999 WHERE seq > 1000")
        _insert(3, 4, hash_sql=f"'{hashlib.sha256(b'y').hexdigest()}'", prev_sql=f"'{h2}'")
    res = verify()
    assert problems(res)[0] == ("inserted", 3)
    assert [p.kind for p in res.problems[1:]] == ["head"]  # the chain now ends at 6, the head says 5
    assert "seq 3 [inserted]" in str(res.problems[0])


def test_deleted_head_row_is_rebuilt_and_reported():
    make(3)
    with guards_off():
        sql("DELETE FROM audit_chainhead")
    make(1, start=4)  # the next append re-creates the head from the last entry, marked as rebuilt
    res = verify()
    assert [p.kind for p in res.problems] == ["head"] and "rebuilt" in res.problems[0].message.lower() or "重建" in res.problems[0].message


def test_another_key_is_reported(settings):
    make(3)
    settings.STOCKBOOK_AUDIT_KEY = "a different key"
    res = verify()
    assert res.problems[0].kind == "key"
    assert problems(res)[1:] == [("head", 3), ("edited", 1), ("edited", 2), ("edited", 3)]
