"""bench/pgcopy.py gives PostgreSQL the same books as the SQLite benchmark database: the integrity check passes
there, and the same backdated receipt re-costs and corrects the same documents on both."""
import os
import shutil
import subprocess
import sys

import pytest

from bench.stockrun import worker

pytestmark = pytest.mark.skipif(not os.environ.get("STOCKBOOK_DATABASE_URL", "").startswith("postgresql"),
                                reason="the PostgreSQL half of the suite")


def test_a_copied_history_is_the_same_books(tmp_path):
    import psycopg

    src = tmp_path / "history.db"
    worker("stock-build", "--db", f"sqlite:///{src}", "--docs", 300, "--items", 20, "--warehouses", 1, "--hot")
    base = os.environ["STOCKBOOK_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"sb_pgcopy_t{os.getpid()}"
    with psycopg.connect(base + "/postgres", autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    try:
        url = f"{base}/{name}"
        copied = worker("stock-pgcopy", "--db", url, "--source", src)
        assert copied["rows"] > 3000
        with psycopg.connect(url) as c:
            moves = c.execute("SELECT count(*), sum(value) FROM stock_stockmove").fetchone()
        import sqlite3

        with sqlite3.connect(src) as s:
            assert s.execute("SELECT count(*), sum(value) FROM stock_stockmove").fetchone() == tuple(moves)
        check = subprocess.run([sys.executable, "-m", "stockbook.cli", "--db", url, "check"], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        lite = tmp_path / "lite.db"
        shutil.copyfile(src, lite)
        on_sqlite = worker("stock-backdate", "--db", f"sqlite:///{lite}")
        on_pg = worker("stock-backdate", "--db", url)
    finally:
        with psycopg.connect(base + "/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    keys = ("later_moves", "posted", "vouchers", "recost_vouchers", "correction_lines", "corrected_documents")
    assert on_pg["corrected_documents"] > 10
    assert {k: on_pg[k] for k in keys} == {k: on_sqlite[k] for k in keys}
