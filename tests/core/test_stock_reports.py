"""Stock reports beyond the contract, checked against the fifo scenario's figures."""
import io
from datetime import date
from decimal import Decimal

import pytest

from stockbook.core.errors import DocError
from stockbook.interchange.importer import import_file
from stockbook.reports.registry import build_report
from tests.conftest import SHARED


@pytest.fixture
def fifo(db):
    import_file(str(SHARED / "scenarios" / "basic-fifo.jsonl"), out=io.StringIO(), err=io.StringIO())


def test_stock_summary_closing_equals_stock_balance(fifo):
    summary = build_report("stock-summary", {"start": date(2026, 2, 1), "end": date(2026, 2, 28)}).data["rows"]
    balance = build_report("stock-balance", {"as_of": date(2026, 2, 28)}).data["rows"]
    got = {(r["item"], r["warehouse"]): (Decimal(r["closing_qty"]), Decimal(r["closing_value"])) for r in summary
           if Decimal(r["closing_qty"]) or Decimal(r["closing_value"])}
    want = {(r["item"], r["warehouse"]): (Decimal(r["qty"]), Decimal(r["value"])) for r in balance}
    assert got == want
    jan = {(r["item"], r["warehouse"]): r for r in build_report("stock-summary", {"start": date(2026, 1, 1), "end": date(2026, 1, 31)}).data["rows"]}
    cu = jan[("CU01", "WH1")]
    # 500 kg opening, 333 kg received (+ the invoice's 75.12 price difference), 650 kg out (150 + 400 delivered, 100 transferred)
    assert (cu["opening_qty"], cu["in_qty"], cu["in_value"], cu["out_qty"], cu["closing_qty"], cu["closing_value"]) == (
        "500", "333", "20466.23", "650", "183", "11254.50")


def test_item_ledger_runs_to_the_balance(fifo):
    rows = build_report("item-ledger", {"item": "CU01", "warehouse": "WH1", "start": date(2026, 1, 1), "end": date(2026, 2, 28)}).data["rows"]
    assert rows[0]["summary"] == "期初结存" and rows[0]["qty"] == "500" and rows[0]["value"] == "30000.00"
    # the backdated delivery (dated 01-09, posted after 01-28) sits in date order, before the 01-10 delivery
    assert [r["doc"] for r in rows[1:4]] == ["CGRK-202601-001", "XSCK-202601-002", "XSCK-202601-001"]
    assert (rows[-1]["qty"], rows[-1]["value"]) == ("1693", "102604.50")


def test_move_log_before_after(fifo):
    rows = build_report("moves", {"start": date(2026, 1, 1), "end": date(2026, 1, 31), "item": "CU01"}).data["rows"]
    for a, b in zip(rows, rows[1:]):
        if (a["item"], a["warehouse"]) == (b["item"], b["warehouse"]):
            assert a["qty_after"] == b["qty_before"] and a["value_after"] == b["value_before"]
    assert {r["code"] for r in rows} >= {101, 202, 203, 103, 301}


@pytest.mark.parametrize("name,params,code", [
    ("item-ledger", {"item": "NOPE", "start": date(2026, 1, 1), "end": date(2026, 1, 31)}, "unknown_item"),
    ("item-ledger", {"item": "CU01", "warehouse": "NOPE", "start": date(2026, 1, 1), "end": date(2026, 1, 31)}, "unknown_warehouse"),
    ("stock-summary", {"start": date(2026, 2, 1), "end": date(2026, 1, 1)}, "invalid_value"),
    ("moves", {"start": None, "end": None}, "invalid_value"),
    ("stock-balance", {}, "invalid_value"),
])
def test_bad_report_parameters(fifo, name, params, code):
    with pytest.raises(DocError) as e:
        build_report(name, params)
    assert e.value.code == code
