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


def _money(s: str) -> int:
    return int(s.replace(",", "").replace(".", ""))


def _check_sums_to_pair(key, by, as_of):
    from stockbook.recon.engine import reconcile_internal

    pair = {p.key: p for p in reconcile_internal(as_of)}[key]
    rows = breakdown(key, as_of, by)
    assert sum(_money(r["gl"]) for r in rows) == pair.gl, key
    assert sum(_money(r["sub"]) for r in rows) == pair.sub, key
    return {r[by]["code"]: (r["gl"], r["sub"], r["difference"]) for r in rows}


def test_party_breakdowns_with_red_invoices_and_prepayments(post_json):
    """A red invoice gives back its P and takes its gross off the party's invoices; a prepayment is not on 1122 /
    2202, its application is (docs/contract-extensions.md): each party's row counts them as the pair totals do,
    so a breakdown sums to its pair and no party shows a difference."""
    from tests.stock.helpers import delivery, sinv

    setup_company(post_json, credit_limit=None)
    post_json(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "10.00")], supplier="S01"))
    post_json(receipt("RK-2", "2026-01-05", "WH1", [("A001", "10", "10.00")], supplier="S02"))
    post_json(pinv("FP-1", "2026-01-06", [("RK-1", 1, "10", "12.00")], supplier="S01"))  # 135.60, P 100.00
    post_json(pinv("FP-2", "2026-01-06", [("RK-2", 1, "10", "10.00")], supplier="S02"))  # 113.00
    post_json({"type": "purchase_red_invoice", "ref": "CGHZ-1", "date": "2026-01-07", "supplier": "S01",
               "lines": [{"invoice": "FP-1", "line": 1, "qty": "4"}]})  # −54.24, Pr 40.00
    post_json(delivery("CK-1", "2026-01-08", "WH1", [("A001", "6", "20.00")], customer="C01"))
    post_json(delivery("CK-2", "2026-01-08", "WH1", [("A001", "2", "20.00")], customer="C02"))
    post_json(sinv("XF-1", "2026-01-09", [("CK-1", 1, "6", "20.00")], customer="C01"))  # 135.60
    post_json(sinv("XF-2", "2026-01-09", [("CK-2", 1, "2", "20.00")], customer="C02"))  # 45.20
    post_json({"type": "sales_red_invoice", "ref": "XSHZ-1", "date": "2026-01-10", "customer": "C01",
               "lines": [{"invoice": "XF-1", "line": 1, "qty": "1"}]})  # −22.60
    # prepayments and their applications, on both sides
    post_json({"type": "customer_receipt", "ref": "SK-1", "date": "2026-01-04", "customer": "C01", "account": "1002",
               "amount": "500.00", "prepayment": True})
    post_json({"type": "customer_receipt", "ref": "SK-2", "date": "2026-01-04", "customer": "C02", "account": "1002",
               "amount": "30.00"})  # an ordinary receipt, unallocated: a credit on 1122
    post_json({"type": "advance_application", "ref": "YS-1", "date": "2026-01-11", "customer": "C01", "amount": "150.00",
               "allocations": [{"invoice": "XF-1", "amount": "100.00"}]})  # 50.00 left as a credit on 1122
    post_json({"type": "supplier_payment", "ref": "FK-1", "date": "2026-01-04", "supplier": "S02", "account": "1002",
               "amount": "200.00", "prepayment": True})
    post_json({"type": "advance_application", "ref": "YF-1", "date": "2026-01-11", "supplier": "S02", "amount": "113.00",
               "allocations": [{"invoice": "FP-2", "amount": "113.00"}]})
    post_json({"type": "supplier_payment", "ref": "FK-2", "date": "2026-01-12", "supplier": "S01", "account": "1002",
               "amount": "50.00"})
    as_of = date(2026, 1, 31)
    ar = _check_sums_to_pair("ar:1122", "customer", as_of)
    # C01: 135.60 − 22.60 red + 20.00 (the 1 kg the red invoice opened again, back on 112202) − 150.00 applied
    # = −17.00 (the prepayment SK-1 is on 2203, not here); C02: 45.20 − 30.00
    assert ar["C01"] == ("-17.00", "-17.00", "0.00") and ar["C02"] == ("15.20", "15.20", "0.00")
    ap = _check_sums_to_pair("ap:220201", "supplier", as_of)
    # S01: 135.60 − 54.24 red − 50.00 paid; S02: 113.00 − 113.00 applied (the prepayment FK-1 is on 1123)
    assert ap["S01"] == ("31.36", "31.36", "0.00") and ap["S02"] == ("0.00", "0.00", "0.00")
    grni = _check_sums_to_pair("grni:220202", "supplier", as_of)
    # S01 received 100.00, invoiced P 100.00, the red invoice gave back 40.00 (4 kg received, not invoiced)
    assert grni["S01"] == ("40.00", "40.00", "0.00")
    assert all(v[2] == "0.00" for v in (*ar.values(), *ap.values(), *grni.values()))
    # before the red invoices and applications: the same rule holds at every date
    for d in (date(2026, 1, 6), date(2026, 1, 9), date(2026, 1, 10)):
        for key, by in (("ar:1122", "customer"), ("ap:220201", "supplier"), ("grni:220202", "supplier")):
            assert all(v[2] == "0.00" for v in _check_sums_to_pair(key, by, d).values())
