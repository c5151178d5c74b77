"""core/sqlite.SideRead: a 补单 reads its lines on a second connection while its own connection reads its moves —
only where that connection sees what the transaction saw (side_reads_ok), and with the same books as a replay
that reads everything itself."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from types import SimpleNamespace

import pytest

from stockbook.core import sqlite as ck


def _conn(**kw):
    base = dict(vendor="sqlite", settings_dict={"NAME": "/tmp/books.db"}, in_atomic_block=True, savepoint_ids=[],
                transaction_mode="IMMEDIATE")
    return SimpleNamespace(**{**base, **kw})


def test_only_an_outermost_immediate_transaction_on_a_file_reads_beside():
    assert ck.side_reads_ok(_conn())
    assert not ck.side_reads_ok(_conn(vendor="postgresql"))
    assert not ck.side_reads_ok(_conn(settings_dict={"NAME": ":memory:"}))
    assert not ck.side_reads_ok(_conn(in_atomic_block=False))  # no transaction: nothing holds the write lock
    assert not ck.side_reads_ok(_conn(savepoint_ids=["s1"]))  # inside a caller's transaction: it may have written rows
    assert not ck.side_reads_ok(_conn(transaction_mode=None))  # BEGIN DEFERRED: another writer may commit meanwhile


def test_a_side_read_answers_and_fails_softly_and_follows_a_replaced_file(tmp_path):
    path = str(tmp_path / "b.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x integer)")
    con.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    con.commit()
    assert ck.SideRead(path, "SELECT json_group_array(x) FROM t WHERE x > %s", [0]).row() == ("[1,2]",)
    assert ck.SideRead(path, "SELECT nothing FROM nowhere", []).row() is None  # the caller reads on its own
    con.execute("INSERT INTO t VALUES (3)")  # not committed: a second connection does not see it
    assert ck.SideRead(path, "SELECT count(*) FROM t", []).row() == (2,)
    con.rollback()
    con.close()
    other = str(tmp_path / "c.db")
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE t (x integer)")
        c.execute("INSERT INTO t VALUES (9)")
    shutil.move(other, path)  # another file under the same name: a connection of its own
    assert ck.SideRead(path, "SELECT json_group_array(x) FROM t", []).row() == ("[9]",)


BOOKS = """
import json, sys
from bench.common import django_setup
django_setup(sys.argv[1])
from stockbook.core import sqlite as ck
from stockbook.stock import service
used = []
real = ck.SideRead
service.SideRead = lambda *a: used.append(1) or real(*a)
if sys.argv[2] == "off":
    service.side_reads_ok = lambda conn: False
from bench.stock import backdate
res = backdate()
from django.db import connection
with connection.cursor() as cur:
    cur.execute("SELECT document_id, line_no, result FROM posting_documentline ORDER BY 1, 2")
    lines = cur.fetchall()
    cur.execute("SELECT document_id, line, sub, qty, value FROM stock_stockmove ORDER BY 1, 2, 3")
    moves = cur.fetchall()
    cur.execute("SELECT v.number, v.kind, l.account_id, l.debit, l.credit, l.document_id, l.doc_line, l.recost "
                "FROM ledger_voucherline l JOIN ledger_voucher v ON v.id = l.voucher_id ORDER BY v.id, l.line_no")
    vlines = cur.fetchall()
from stockbook.stock.revalue import recompute
print(json.dumps({"side": len(used), "corrected": res["corrected_documents"], "diffs": recompute(),
                  "books": [lines, moves, vlines]}, default=str))
"""


@pytest.mark.skipif(os.environ.get("STOCKBOOK_DATABASE_URL", "").startswith("postgresql"), reason="the SQLite half of the suite")
def test_a_backdated_receipt_read_beside_gives_the_same_books(tmp_path):
    from bench.stockrun import worker

    src = tmp_path / "history.db"
    worker("stock-build", "--db", f"sqlite:///{src}", "--docs", 300, "--items", 20, "--warehouses", 1, "--hot")
    out = {}
    for mode in ("on", "off"):
        db = tmp_path / f"{mode}.db"
        shutil.copyfile(src, db)
        run = subprocess.run([sys.executable, "-c", BOOKS, f"sqlite:///{db}", mode], capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        assert run.returncode == 0, run.stderr[-3000:]
        out[mode] = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["on"]["side"] == 1 and out["off"]["side"] == 0  # the lines were read beside, or not
    assert out["on"]["corrected"] > 10 and out["on"]["diffs"] == [] and out["off"]["diffs"] == []
    assert out["on"]["books"] == out["off"]["books"]
