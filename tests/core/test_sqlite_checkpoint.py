"""The background WAL checkpointer keeps a file database's WAL small without the posting path paying."""
import os
import sqlite3

from stockbook.core import sqlite as ck


def test_checkpointer_truncates_a_grown_wal(tmp_path, monkeypatch):
    monkeypatch.setattr(ck, "INTERVAL", 0.05)
    monkeypatch.setattr(ck, "WAL_LIMIT", 64 * 1024)
    path = str(tmp_path / "book.db")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")  # as if the safety valve were far away
    con.execute("CREATE TABLE t (x BLOB)")
    t = ck.ensure_checkpointer(path)
    assert ck.ensure_checkpointer(path) is t  # one thread per database file and process
    for _ in range(200):
        con.execute("INSERT INTO t VALUES (randomblob(2000))")
        con.commit()
    t.stopped.wait(1.0)
    assert t.checkpoints >= 1  # the thread checkpointed while we wrote
    t.stop()
    t.join(timeout=5)
    assert os.path.getsize(path + "-wal") == 0  # truncated at the end
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 200
    con.close()
    ck._threads.pop(os.path.abspath(path), None)


def test_memory_databases_get_no_thread():
    assert not ck.is_file_database(":memory:")
    assert not ck.is_file_database("file:memorydb_default?mode=memory&cache=shared")
    assert ck.is_file_database("/var/lib/stockbook/book.db")


def test_a_big_transaction_holds_the_safety_valve_until_it_ends(tmp_path):
    from types import SimpleNamespace

    path = str(tmp_path / "book.db")
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(f"PRAGMA wal_autocheckpoint={ck.SAFETY_PAGES}")
    conn = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": path}, connection=raw)

    def valve():
        return raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    assert ck.hold_valve(conn) is True and valve() == ck.HELD_PAGES
    assert ck.hold_valve(conn) is False  # held already: the first holder lowers it
    ck.release_valve(conn)
    assert valve() == ck.SAFETY_PAGES
    ck.release_valve(conn)  # not held: nothing
    assert valve() == ck.SAFETY_PAGES
    memory = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": ":memory:"}, connection=raw)
    assert ck.hold_valve(memory) is False and valve() == ck.SAFETY_PAGES  # no WAL, no valve
    raw.close()


def test_a_replay_maps_more_of_the_file_for_its_reads_only(tmp_path):
    from types import SimpleNamespace

    import pytest

    path = str(tmp_path / "book.db")
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA mmap_size=268435456")
    conn = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": path}, connection=raw, ensure_connection=lambda: None)

    def mapped():
        return raw.execute("PRAGMA mmap_size").fetchone()[0]

    with ck.wide_map(conn):
        assert mapped() > 268435456
    assert mapped() == 268435456
    with pytest.raises(ZeroDivisionError), ck.wide_map(conn):
        1 / 0
    assert mapped() == 268435456  # back after an error too
    memory = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": ":memory:"}, connection=raw)
    with ck.wide_map(memory):
        assert mapped() == 268435456  # no file, nothing to map
    raw.close()
