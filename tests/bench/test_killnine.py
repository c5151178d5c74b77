"""kill -9 in the middle of an import: the books stay whole (a few runs here; `make bench` runs 100),
and the integrity check itself notices broken books."""
import os

import pytest


def _url(tmp_path):
    url = os.environ.get("STOCKBOOK_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return None
    return f"sqlite:///{tmp_path}/kill.db"


def test_kill_nine_during_import_leaves_whole_books(tmp_path):
    from bench.killnine import kill_runs

    url = _url(tmp_path)
    pg = None
    if url is None:  # the PostgreSQL half of the suite: a throwaway database of its own
        import psycopg

        base = os.environ["STOCKBOOK_DATABASE_URL"].rsplit("/", 1)[0]
        pg = f"sb_kill_t{os.getpid()}"
        with psycopg.connect(base + "/postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {pg}")
        url = f"{base}/{pg}"
    try:
        res = kill_runs(url, runs=2, docs=100, seed=3, log=lambda *a: None)
    finally:
        if pg:
            with psycopg.connect(base + "/postgres", autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {pg} WITH (FORCE)")
    assert res["problems"] == []
    assert res["killed"] >= 1


def test_integrity_check_finds_broken_books(company, post_json):
    from django.db import connection

    from stockbook.posting.integrity import check

    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "10.00"}]})
    post_json({"type": "journal", "ref": "J1", "date": "2026-01-06", "lines": [
        {"account": "1001", "debit": "5.00"}, {"account": "1002", "credit": "5.00"}]})
    assert check() == []
    with connection.cursor() as cur:  # a "half-posted" voucher: one of its lines gone
        cur.execute("DELETE FROM ledger_voucherline WHERE id = (SELECT MAX(id) FROM ledger_voucherline)")
    problems = check()
    assert any("不平衡" in p for p in problems) and any("科目期间余额" in p for p in problems)


def test_integrity_check_finds_a_number_gap_and_lost_moves(company, post_json):
    from django.db import connection

    from stockbook.posting.integrity import check

    for i in (1, 2, 3):
        post_json({"type": "purchase_receipt", "ref": f"R{i}", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
                   "lines": [{"item": "A001", "qty": "1", "unit_price": "10.00"}]})
    with connection.cursor() as cur:
        cur.execute("UPDATE ledger_voucher SET number = 9 WHERE number = 2")
        cur.execute("DELETE FROM stock_stockmove WHERE document_id = (SELECT id FROM posting_document WHERE ref = 'R3')")
    problems = check(recost=False)
    assert any("凭证号" in p for p in problems)
    assert any("R3" in p for p in problems) and any("库存期间汇总" in p for p in problems)
