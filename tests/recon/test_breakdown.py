"""Breakdowns: the ledger has no warehouse of its own, so a transfer or an invoice's price difference must
not show as a difference between warehouses; a journal shows where its lines point."""
from datetime import date

import pytest

from stockbook.recon.service import breakdown
from tests.stock.helpers import pinv, receipt, setup_company, transfer

pytestmark = pytest.mark.django_db


def test_transfers_and_price_differences_are_not_warehouse_differences(post_json):
    setup_company(post_json)
    post_json(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    post_json(transfer("DB-1", "2026-01-06", "WH1", "WH2", [("A001", "4")]))
    post_json(pinv("FP-1", "2026-01-08", [("RK-1", 1, "10", "55.00")]))  # +30.00 to stock, no warehouse on the line
    post_json({"type": "journal", "ref": "JZ-1", "date": "2026-01-09", "lines": [
        {"account": "1405", "debit": "7.00", "item": "A001", "warehouse": "WH2"}, {"account": "5602", "credit": "7.00"}]})
    rows = {r["warehouse"]["code"]: r for r in breakdown("stock:1405", date(2026, 1, 31), "warehouse")}
    # the invoice's 30.00 went to the goods still at WH1 (6 × 52 = 312, + 30), the transfer took 4 × 52 = 208
    assert rows["WH1"]["difference"] == "0.00" and rows["WH1"]["sub"] == rows["WH1"]["gl"] == "342.00"
    assert rows["WH2"]["difference"] == "7.00" and rows["WH2"]["sub"] == "208.00" and rows["WH2"]["gl"] == "215.00"
    assert "" not in rows  # nothing left over without a warehouse
    cells = breakdown("stock:1405", date(2026, 1, 31), "warehouse,item")
    assert sum(float(r["difference"]) for r in cells) == 7.0 and len(cells) == 2


def test_party_breakdowns(post_json):
    setup_company(post_json)
    post_json(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")], supplier="S01"))
    post_json(receipt("RK-2", "2026-01-05", "WH1", [("A001", "5", "50.00")], supplier="S02"))
    rows = {r["supplier"]["code"]: (r["gl"], r["sub"]) for r in breakdown("grni:220202", date(2026, 1, 31), "supplier")}
    assert rows == {"S01": ("520.00", "520.00"), "S02": ("250.00", "250.00")}
    with pytest.raises(ValueError):
        breakdown("grni:220202", date(2026, 1, 31), "warehouse")
