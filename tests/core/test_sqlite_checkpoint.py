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


def test_the_checkpointer_keeps_one_connection_and_follows_a_replaced_file(tmp_path, monkeypatch):
    """One connection for every look (a look that connects costs ≈ 3 ms); a file replaced under the same name gets
    a connection of its own."""
    import shutil

    monkeypatch.setattr(ck, "INTERVAL", 0.02)
    monkeypatch.setattr(ck, "WAL_LIMIT", 1024)
    path = str(tmp_path / "book.db")
    connects = []
    real_connect = sqlite3.connect
    monkeypatch.setattr(ck.sqlite3, "connect", lambda *a, **k: connects.append(a[0]) or real_connect(*a, **k))

    def grow(table):
        con = real_connect(path, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} (x BLOB)")
        for _ in range(20):
            con.execute(f"INSERT INTO {table} VALUES (randomblob(2000))")
        return con

    def in_file_alone(table) -> bool:
        alone = str(tmp_path / "alone.db")
        shutil.copyfile(path, alone)
        try:
            return real_connect(alone).execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 20
        except sqlite3.OperationalError:
            return False

    first = grow("t")
    t = ck.ensure_checkpointer(path)
    try:
        for _ in range(200):  # several looks on the same file
            if t.checkpoints >= 3 and in_file_alone("t"):
                break
            t.stopped.wait(0.02)
        assert t.checkpoints >= 3 and in_file_alone("t") and len(connects) == 1
        first.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        second = grow("u")  # a new file under the same name (the old one is still open: another inode)
        for _ in range(200):
            if in_file_alone("u"):
                break
            t.stopped.wait(0.02)
        assert in_file_alone("u") and len(connects) == 2
        second.close()
    finally:
        t.stop()
        t.join(timeout=5)
        ck._threads.pop(os.path.abspath(path), None)


def test_memory_databases_get_no_thread():
    assert not ck.is_file_database(":memory:")
    assert not ck.is_file_database("file:memorydb_default?mode=memory&cache=shared")
    assert ck.is_file_database("/var/lib/stockbook/book.db")


def test_a_big_transaction_holds_the_safety_valve_and_a_small_cache_until_it_ends(tmp_path):
    from types import SimpleNamespace

    path = str(tmp_path / "book.db")
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(f"PRAGMA wal_autocheckpoint={ck.SAFETY_PAGES}")
    raw.execute("PRAGMA cache_size=-65536")
    conn = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": path}, connection=raw)

    def valve():
        return raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    def cache():
        return raw.execute("PRAGMA cache_size").fetchone()[0]

    assert ck.hold_valve(conn) is True and valve() == ck.HELD_PAGES and cache() == -ck.HELD_CACHE_KIB
    assert ck.hold_valve(conn) is False  # held already: the first holder lowers it
    ck.release_valve(conn)
    assert valve() == ck.SAFETY_PAGES and cache() == -65536
    ck.release_valve(conn)  # not held: nothing
    assert valve() == ck.SAFETY_PAGES and cache() == -65536
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
