"""One scenario per cause code: the engine attributes exactly that difference, with the right amount and
documents, and leaves 0.00 unexplained. Amounts are worked out by hand from the documents."""
from dataclasses import replace
from datetime import date

import pytest

from bench.recon_plant import _pending_receipt, transferred_ledger
from stockbook.recon.engine import ExtLine, norm_account, norm_voucher_no, reconcile_external, reconcile_internal
from tests.stock.helpers import close, count, delivery, pinv, receipt, setup_company

pytestmark = pytest.mark.django_db
JAN31 = date(2026, 1, 31)


@pytest.fixture
def books(post_json):
    """A001 (kg) moving average: opening 100 kg = 5,000.00 at WH1 (opening balance on 1405 equal)."""
    setup_company(post_json)
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "5000.00"}]})
    post_json({"type": "opening_balance", "date": "2025-12-31", "lines": [{"account": "1405", "debit": "5000.00"},
                                                                         {"account": "3001", "credit": "5000.00"}]})
    return post_json


def pair(results, key):
    return next(p for p in results if p.key == key)


def only(p, cause, amount, refs):
    """The pair's difference is exactly one part of ``cause`` with ``amount`` (分) and ``refs``."""
    assert [(c.cause, c.amount, c.refs) for c in p.parts] == [(cause, amount, refs)], [(a.cause, a.amount, a.refs, a.reason) for a in p.items]
    assert p.difference == amount and p.unexplained == 0
    item = next(a for a in p.items if a.cause == cause)
    assert item.rule and item.reason.startswith(f"规则 {item.rule}")  # an auditor can replay it


def ext_of(**changes):
    return transferred_ledger()


def external(lines, as_of=JAN31):
    return reconcile_external(lines, date(2026, 1, 1), as_of)


# -- internal books -------------------------------------------------------------------------------
def test_manual_journal(books):
    books({"type": "journal", "ref": "JZ-1", "date": "2026-01-10", "lines": [
        {"account": "1405", "debit": "123.45", "item": "A001", "warehouse": "WH1"}, {"account": "5602", "credit": "123.45"}]})
    p = pair(reconcile_internal(JAN31), "stock:1405")
    only(p, "manual_journal", 12345, ["JZ-1"])
    assert p.parts[0].doc_ids and p.parts[0].voucher_ids


def test_opening_mismatch(post_json):
    setup_company(post_json)
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "5000.00"}]})
    post_json({"type": "opening_balance", "ref": "QC-1", "date": "2025-12-31", "lines": [
        {"account": "1405", "debit": "5200.00"}, {"account": "3001", "credit": "5200.00"}]})
    only(pair(reconcile_internal(JAN31), "stock:1405"), "opening_mismatch", 20000, ["QC-1"])


def test_pending_cost(post_json):
    """Monthly average: January closed at 50.00/kg; in February 10 kg delivered. Posted: the delivery's cost
    waits for the close (nothing to 1405), stock-balance values the remaining 90 kg pending at the last
    closed unit 50.00 → 4,500.00; 1405 still holds 5,000.00: pending_cost 500.00 on the delivery."""
    setup_company(post_json, method="monthly_average")
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "5000.00"}]})
    post_json({"type": "opening_balance", "date": "2025-12-31", "lines": [{"account": "1405", "debit": "5000.00"},
                                                                         {"account": "3001", "credit": "5000.00"}]})
    post_json(close("GJ-1", "2026-01"))
    post_json(delivery("CK-1", "2026-02-05", "WH1", [("A001", "10", "80.00")]))
    p = pair(reconcile_internal(date(2026, 2, 28)), "stock:1405")
    only(p, "pending_cost", 50000, ["CK-1"])


def test_unposted_document_is_not_a_difference_of_the_own_books(books):
    """A document waiting for approval has no voucher and no move: Stockbook's own books agree."""
    _pending_receipt("RK-P1", 100000)
    assert all(p.difference == 0 for p in reconcile_internal(JAN31))


# -- an external general ledger ---------------------------------------------------------------------
def test_transferred_ledger_agrees(books):
    books(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    books(delivery("CK-1", "2026-01-06", "WH1", [("A001", "15", "80.00")]))
    res = external(transferred_ledger())
    assert all(p.difference == 0 and not p.items for p in res)


def test_unposted_document(books):
    """Finance booked a receipt from the paper; in Stockbook it is still waiting for approval."""
    _pending_receipt("RK-P1", 100000)
    ext = [ExtLine(date(2026, 1, 20), "记-5", "1405", 100000, 0, "采购入库 RK-P1", "RK-P1"),
           ExtLine(date(2026, 1, 20), "记-5", "2202.02", 0, 100000, "采购入库 RK-P1", "RK-P1")]
    res = external(ext)
    only(pair(res, "stock:1405"), "unposted_document", 100000, ["RK-P1"])
    only(pair(res, "grni:220202"), "unposted_document", 100000, ["RK-P1"])


def test_uninvoiced_receipt(books):
    """Finance books purchases from invoices: RK-1 (10 kg at 52.00, no invoice) is not in its ledger."""
    books(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    res = external([])
    only(pair(res, "stock:1405"), "uninvoiced_receipt", -52000, ["RK-1"])
    only(pair(res, "grni:220202"), "uninvoiced_receipt", -52000, ["RK-1"])


def test_not_transferred(books):
    """The invoiced receipt's voucher never reached the finance package."""
    books(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    books(pinv("FP-1", "2026-01-08", [("RK-1", 1, "10", "52.00")]))
    ext = [ln for ln in transferred_ledger() if ln.reference != "RK-1"]
    only(pair(external(ext), "stock:1405"), "not_transferred", -52000, ["RK-1"])


def test_uninvoiced_delivery(books):
    """CK-1 ships 15 kg (cost 15 × 50.00 = 750.00, revenue 1,200.00 to 112202); finance waits for the invoice."""
    books(delivery("CK-1", "2026-01-06", "WH1", [("A001", "15", "80.00")]))
    res = external([])
    only(pair(res, "stock:1405"), "uninvoiced_delivery", 75000, ["CK-1"])
    only(pair(res, "ar:1122"), "uninvoiced_delivery", -120000, ["CK-1"])


def test_unsettled_count(books):
    """PD-1 counts 97 kg of 100: loss 3 × 50.00 = 150.00 to 1901, not yet settled, not in finance."""
    books(count("PD-1", "2026-01-20", "WH1", [("A001", "97")]))
    res = external([])
    only(pair(res, "stock:1405"), "unsettled_count", 15000, ["PD-1"])
    only(pair(res, "count:1901"), "unsettled_count", -15000, ["PD-1"])


def test_cutoff(books):
    """RK-1 dated 31 January, booked by finance on 2 February."""
    books(receipt("RK-1", "2026-01-31", "WH1", [("A001", "10", "52.00")]))
    books(pinv("FP-1", "2026-01-31", [("RK-1", 1, "10", "52.00")]))
    ext = [replace(ln, date=date(2026, 2, 2)) if ln.reference == "RK-1" else ln for ln in transferred_ledger()]
    only(pair(external(ext), "stock:1405"), "cutoff", -52000, ["RK-1"])


def test_in_transit(books):
    """Finance booked the goods on 30 January; they arrived (RK-2) on 3 February."""
    books(receipt("RK-2", "2026-02-03", "WH1", [("A001", "10", "52.00")]))
    ext = [replace(ln, date=date(2026, 1, 30)) for ln in transferred_ledger()]
    res = external(ext)
    only(pair(res, "stock:1405"), "in_transit", 52000, ["RK-2"])
    only(pair(res, "grni:220202"), "in_transit", 52000, ["RK-2"])


def test_unit_error(books):
    """CK-1's cost was keyed per tonne where kilograms were meant: 1000× too much."""
    books(delivery("CK-1", "2026-01-06", "WH1", [("A001", "15", "80.00")]))
    books({"type": "sales_invoice", "ref": "XS-1", "date": "2026-01-07", "customer": "C01",
           "lines": [{"delivery": "CK-1", "line": 1, "qty": "15", "unit_price": "80.00"}]})
    ext = [replace(ln, debit=ln.debit * 1000, credit=ln.credit * 1000) if ln.reference == "CK-1" and norm_account(ln.account) == "1405" else ln
           for ln in transferred_ledger()]
    only(pair(external(ext), "stock:1405"), "unit_error", -75000 * 999, ["CK-1"])


def test_price_difference_unposted(books):
    """RK-1 10 kg at 52.00 = 520.00, invoiced at 55.00 = 550.00: Stockbook adds 30.00 to stock (nothing sold
    since); finance booked the 30.00 to 5401."""
    books(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    books(pinv("FP-1", "2026-01-08", [("RK-1", 1, "10", "55.00")]))
    ext = [replace(ln, account="5401") if ln.reference == "FP-1" and ln.account == "1405" else ln for ln in transferred_ledger()]
    only(pair(external(ext), "stock:1405"), "price_difference_unposted", -3000, ["FP-1"])


def test_duplicate_entry(books):
    books(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    books(pinv("FP-1", "2026-01-08", [("RK-1", 1, "10", "52.00")]))
    base = transferred_ledger()
    ext = base + [replace(ln, voucher_no="记-88") for ln in base if ln.reference == "RK-1"]
    res = external(ext)
    only(pair(res, "stock:1405"), "duplicate_entry", 52000, ["RK-1"])
    only(pair(res, "grni:220202"), "duplicate_entry", 52000, ["RK-1"])


def test_external_only(books):
    """A voucher in finance with no Stockbook document: goods written off in finance only (ledger down, stock
    unchanged)."""
    ext = [ExtLine(date(2026, 1, 12), "记-40", "5401", 33333, 0, "结转成本"), ExtLine(date(2026, 1, 12), "记-40", "1405", 0, 33333, "结转成本")]
    p = pair(external(ext), "stock:1405")
    only(p, "external_only", -33333, ["记-40"])
    assert p.items[0].rule == "R140" and p.items[0].external_rows == [0]


def test_an_amount_typo_stays_unexplained(books):
    books(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    books(pinv("FP-1", "2026-01-08", [("RK-1", 1, "10", "52.00")]))
    ext = [replace(ln, debit=ln.debit + 700 if ln.debit else 0, credit=ln.credit + 700 if ln.credit else 0) if ln.reference == "RK-1" else ln
           for ln in transferred_ledger()]
    p = pair(external(ext), "stock:1405")
    assert p.parts == [] and p.difference == 700 and p.unexplained == 700
    assert p.items[0].cause is None and p.items[0].refs == ["RK-1"]


def test_rules_run_in_order_and_can_be_edited(books):
    """Disable R090 (uninvoiced receipt): the same receipt falls to the next rule that matches (R130)."""
    from stockbook.recon.models import Rule

    books(receipt("RK-1", "2026-01-05", "WH1", [("A001", "10", "52.00")]))
    Rule.objects.filter(code="R090").update(active=False)
    only(pair(external([]), "stock:1405"), "not_transferred", -52000, ["RK-1"])


def test_codes_and_numbers_are_normalised():
    assert norm_account("2202.02") == "220202"
    assert norm_account("1405.0") == "1405"
    assert norm_account("１４０５") == "1405"
    assert norm_voucher_no("记 - 1") == "记-1"
    assert norm_voucher_no("记-0007") == "记-7"
