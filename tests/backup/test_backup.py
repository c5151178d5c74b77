"""stockbook backup / backup list / backup verify / restore on the test database — SQLite or PostgreSQL,
whichever STOCKBOOK_DATABASE_URL names — with a real book posted through the importer."""
import io
import json
import os
import sqlite3
from contextlib import closing, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from stockbook.backup import engines, service
from stockbook.backup.engines import BackupError
from stockbook.backup.reportset import live_span, plan, report_set
from stockbook.cli import main
from tests.backup.conftest import DB

pytestmark = DB



def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def only_backup(directory: Path) -> Path:
    files = [p for p in directory.iterdir() if not p.name.endswith(".manifest.json")]
    assert len(files) == 1, files
    return files[0]


def target_of(kind, sd, tmp_path, pg_name) -> tuple[dict, str]:
    """Settings and URL of an empty database to restore into."""
    if kind == "sqlite":
        path = tmp_path / "target" / "book.db"
        return dict(sd, NAME=str(path)), f"sqlite:///{path}"
    engines.pg_create_database(sd, pg_name)
    return dict(sd, NAME=pg_name), engines.pg_url(sd, pg_name)


def live_reports():
    from django.utils.timezone import localdate

    the_plan = plan(live_span(), localdate())
    return the_plan, report_set(the_plan)


def test_backup_writes_a_manifest_and_verify_finds_the_reports_identical(booked, kind, tmp_path):
    from stockbook.posting.models import Document
    from stockbook.posting.service import post

    rc, out, err = cli("backup", "--dest", str(tmp_path / "b"), "--no-offsite")
    assert rc == 0, err
    f = only_backup(tmp_path / "b")
    assert f.name.endswith(".sqlite.gz" if kind == "sqlite" else ".pgdump") and str(f) in out
    m = json.loads(service.manifest_path(f).read_text())
    assert m["sha256"] == service.sha256_of(f) and m["size"] == f.stat().st_size
    assert f.stat().st_mode & 0o777 == 0o600 and service.manifest_path(f).stat().st_mode & 0o777 == 0o600
    assert m["db"]["kind"] == kind
    assert m["counts"]["posting_document"] == Document.objects.count()
    assert "0001_initial" in m["migrations"]["posting"]
    assert m["span"] == {"first": "2025-12-31", "last": "2026-02-28"}

    res = service.verify(directory=tmp_path / "b")
    assert res.identical and res.backup.path == f and res.notes == []
    for d in ("2025-12-31", "2026-01-31", "2026-02-28"):  # every month-end of the data, plus today
        assert {f"stock-balance {d}", f"reconcile {d}", f"trial-balance {d[:8]}01..{d}"} <= set(res.compared)
    assert len(res.compared) == 1 + 3 * 4

    rc, out, _ = cli("backup", "list", "--dest", str(tmp_path / "b"), "--check")
    assert rc == 0 and f.name in out and "sha256 ok" in out

    # The live book moves on after the backup: verify says so, and which reports differ.
    post({"type": "journal", "ref": "JZ-LATE", "date": "2026-03-02",
          "lines": [{"account": "1001", "debit": "10.00"}, {"account": "1002", "credit": "10.00"}]})
    res = service.verify(directory=tmp_path / "b")
    assert not res.identical
    assert any(k.startswith("trial-balance 2026-03") for k in res.differing)  # the live data now reaches March
    assert any("changed since this backup" in n and "posting_document" in n for n in res.notes)


def test_restore_round_trip_over_damage_and_refusals(booked, sd, kind, tmp_path, pg_scratch):
    from stockbook.posting.models import Document

    res = service.create_backup(tmp_path / "b", keep=3, use_offsite_setting=False)
    target, url = target_of(kind, sd, tmp_path, pg_scratch)
    the_plan, live = live_reports()

    service.restore(res.backup.path, target)
    assert counts_of(kind, target) == res.backup.manifest["counts"]  # every table, every row

    # Damage the restored database, then restore over it: the backup's state comes back, not a mix.
    if kind == "sqlite":
        con = sqlite3.connect(target["NAME"])
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("DELETE FROM ledger_periodbalance")
        con.commit()
        wal = Path(target["NAME"] + "-wal").read_bytes()
        con.close()
        Path(target["NAME"] + "-wal").write_bytes(wal)  # a WAL left behind, as after a crash
        assert len(wal) > 0
        with closing(sqlite3.connect(target["NAME"])) as c:  # the WAL is live: the damage shows
            assert c.execute("SELECT count(*) FROM ledger_periodbalance").fetchone()[0] == 0
    else:
        with engines.pg_connect(target, autocommit=True) as con:
            con.execute("DELETE FROM ledger_periodbalance")
            con.execute("CREATE TABLE junk (x int)")

    out = service.restore(res.backup.path, target)
    assert service.reports_of(url, the_plan) == live
    if kind == "sqlite":
        assert out["kept"] and Path(out["kept"]).exists()  # the replaced file is kept beside it
        leftovers = [p.name for p in Path(target["NAME"]).parent.iterdir() if ".restore-" in p.name]
        assert leftovers == []

    # `stockbook restore` (into the configured test database) does nothing without --yes.
    n = Document.objects.count()
    rc, _, err = cli("restore", str(res.backup.path))
    assert rc == 2 and "--yes" in err and "REPLACE" in err
    assert Document.objects.count() == n

    # A damaged backup: refused, even with --yes, and nothing is written anywhere.
    state = restored_state(kind, target)
    f = res.backup.path
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="damaged"):
        service.restore(f, target)
    rc, _, err = cli("restore", str(f), "--yes")
    assert rc == 2 and "damaged" in err and "Traceback" not in err
    rc, _, err = cli("backup", "verify", str(f))
    assert rc == 2 and "damaged" in err
    assert Document.objects.count() == n
    assert restored_state(kind, target) == state

    service.manifest_path(f).unlink()
    rc, _, err = cli("restore", str(f), "--yes")
    assert rc == 2 and "no manifest" in err
    rc, _, err = cli("restore", str(tmp_path / "nope.sqlite.gz"), "--yes")
    assert rc == 2 and "no backup file" in err

    # A backup whose data differs although its manifest is right (a forger who also fixed the sha256):
    # cash (1001) loses its December turnover — verify names that trial balance, and no stock balance.
    sql = ("UPDATE ledger_periodbalance SET debit = 0 WHERE period = 202512 AND account_id = "
           "(SELECT id FROM ledger_account WHERE code = '1001')")
    if kind == "sqlite":
        with closing(sqlite3.connect(target["NAME"])) as con:
            con.execute(sql)
            con.commit()
    else:
        with engines.pg_connect(target, autocommit=True) as con:
            con.execute(sql)
    forged = service.create_backup(tmp_path / "forged", keep=1, sd=target, use_offsite_setting=False).backup.path
    rc, out, err = cli("backup", "verify", str(forged))
    assert rc == 1, err
    assert "DIFFERENT" in out and "== trial-balance 2025-12-01..2025-12-31" in out and '"account": "1001"' in out
    assert "== trial-balance 2026-01-01..2026-01-31" in out  # the opening balance carries the difference on
    assert "== stock-balance" not in out


def counts_of(kind, target) -> dict:
    if kind == "sqlite":
        with closing(sqlite3.connect(target["NAME"])) as con:
            return engines.table_counts(con.cursor(), kind)
    with engines.pg_connect(target) as con, con.cursor() as cur:
        return engines.table_counts(cur, kind)


def restored_state(kind, target):
    """Every file beside a SQLite target with its bytes, or every table's row count of a PostgreSQL one."""
    if kind == "sqlite":
        return {p.name: p.read_bytes() for p in Path(target["NAME"]).parent.iterdir()}
    with engines.pg_connect(target) as con, con.cursor() as cur:
        return engines.table_counts(cur, kind)


def test_a_backup_of_the_other_database_kind_is_refused(sd, kind, tmp_path):
    other = "postgresql" if kind == "sqlite" else "sqlite"
    f = tmp_path / f"stockbook-x-20260101T000000Z{service.SUFFIX[other]}"
    f.write_bytes(b"not really")
    service.manifest_path(f).write_text(json.dumps({"format": service.FORMAT, "sha256": service.sha256_of(f),
                                                    "db": {"kind": other, "name": "x"}}))
    with pytest.raises(BackupError, match=f"is a {other} backup"):
        service.restore(f, sd)
    rc, _, err = cli("backup", "verify", str(f))
    assert rc == 2 and f"is a {other} backup" in err


def test_rotation_keeps_the_newest_n_here_and_off_site(sd, tmp_path, settings):
    local, off = tmp_path / "local", tmp_path / "off"
    settings.STOCKBOOK_BACKUP_OFFSITE_DIR = str(off)
    # A backup of another database in the same directory is never rotated out by this one's.
    stranger = local / "stockbook-otherdb-20200101T000000Z.sqlite.gz"
    local.mkdir()
    stranger.write_bytes(b"x")
    service.manifest_path(stranger).write_text(json.dumps({"format": service.FORMAT, "sha256": service.sha256_of(stranger),
                                                           "created_at": "2020-01-01T00:00:00+00:00",
                                                           "db": {"kind": engines.kind_of(sd), "name": "otherdb"}}))
    made = [service.create_backup(local, keep=2) for _ in range(4)]
    names = [r.backup.path.name for r in made]
    assert len(set(names)) == 4
    mine = sorted(p.name for p in local.glob("stockbook-*") if "otherdb" not in p.name)
    assert mine == sorted(names[2:] + [n + ".manifest.json" for n in names[2:]])
    assert stranger.exists()
    assert sorted(p.name for p in off.iterdir()) == mine
    for r in made[2:]:
        assert r.offsite == off / r.backup.path.name
        assert service.load(r.offsite).manifest["sha256"] == r.backup.manifest["sha256"]
    assert [str(p) for p in made[3].removed] == [str(local / names[1]), str(off / names[1])]

    rc, _, err = cli("backup", "--dest", str(local), "--keep", "0")
    assert rc == 2 and "at least 1" in err


def test_an_off_site_copy_that_reads_back_wrong_is_not_kept(sd, tmp_path, monkeypatch):
    real_copy = service.shutil.copyfile

    def flaky_copy(src, dst):
        real_copy(src, dst)
        with open(dst, "r+b") as f:  # a disk or network share that returns other bytes
            f.seek(10)
            f.write(b"\x00\x01\x02")

    monkeypatch.setattr(service.shutil, "copyfile", flaky_copy)
    with pytest.raises(BackupError, match="off-site copy .* reads back with sha256"):
        service.create_backup(tmp_path / "local", keep=2, offsite=tmp_path / "off")
    assert list((tmp_path / "off").iterdir()) == []
    assert len(service.list_backups(tmp_path / "local")) == 1  # the local backup itself is fine


def test_verify_without_any_backup_is_a_clear_error(sd, tmp_path):
    rc, out, err = cli("backup", "verify", "--dest", str(tmp_path / "empty"))
    assert rc == 2 and "no backup of database" in err and "Traceback" not in err
    rc, out, _ = cli("backup", "list", "--dest", str(tmp_path / "empty"))
    assert rc == 0 and "no backups" in out


def test_sqlite_online_backup_is_a_consistent_snapshot_while_writers_go_on(tmp_path):
    """Pairs (x, -x) are written in one transaction each, with the WAL never checkpointed: every copy
    taken meanwhile holds whole pairs only, including those still in the WAL."""
    import threading

    path = tmp_path / "live.db"
    con = sqlite3.connect(path, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE t (x INTEGER)")
    con.commit()
    for i in range(1, 200):
        con.execute("INSERT INTO t VALUES (?)", (i,))
        con.execute("INSERT INTO t VALUES (?)", (-i,))
        con.commit()
    assert os.path.getsize(f"{path}-wal") > 0
    stop = threading.Event()

    def writer():
        i = 1000
        while not stop.is_set():
            con.execute("INSERT INTO t VALUES (?)", (i,))
            con.execute("INSERT INTO t VALUES (?)", (-i,))
            con.commit()
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        copies = []
        for n in range(3):
            out = tmp_path / f"copy{n}.gz"
            engines.sqlite_backup({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}, out)
            copies.append(out)
    finally:
        stop.set()
        t.join()
    for out in copies:
        db = tmp_path / (out.stem + ".db")
        engines.sqlite_unpack(out, db)
        with closing(sqlite3.connect(db)) as c:
            n, total = c.execute("SELECT count(*), coalesce(sum(x), 0) FROM t").fetchone()
            assert total == 0 and n % 2 == 0 and n >= 398
            assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # self-contained, no WAL needed
    con.close()
