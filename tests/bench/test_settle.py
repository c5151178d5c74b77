"""A built benchmark database is cached as one file: its write-ahead log is copied in first (``_settle``), never
deleted with transactions in it."""
import shutil
import sqlite3

from bench.stockrun import _settle


def test_the_log_is_copied_into_the_file(tmp_path):
    db = tmp_path / "b.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")  # everything stays in the log
    con.execute("CREATE TABLE t (x)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    assert (tmp_path / "b.db-wal").stat().st_size > 0
    _settle(db)
    con.close()
    alone = tmp_path / "alone.db"
    shutil.copyfile(db, alone)  # the file without its log
    assert sqlite3.connect(alone).execute("SELECT COUNT(*) FROM t").fetchone() == (1000,)
    assert not (tmp_path / "b.db-wal").exists() or (tmp_path / "b.db-wal").stat().st_size == 0
