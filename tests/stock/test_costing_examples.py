"""Hand-computed costing examples (beancount style): each test is a tiny ledger with its expected numbers
worked out in the docstring, posted through post() and checked against the reports and vouchers."""
import pytest

from tests.conftest import jl  # noqa: F401  (kept for symmetry with other test modules)

from .helpers import (D, close, count, delivery, err, footprint, lines_linked, pinv, pret, receipt, recon, result, scrap,
                      setup_company, sinv, sret, stock, tb, transfer, vouchers_of)

pytestmark = pytest.mark.django_db


def opening_stock(post, wh, lines, date_="2025-12-31"):
    post({"type": "opening_stock", "date": date_, "warehouse": wh,
          "lines": [{"item": i, "qty": q, "amount": a} for i, q, a in lines]})


def opening_balance(post, amount, account="1405"):
    post({"type": "opening_balance", "date": "2025-12-31",
          "lines": [{"account": account, "debit": amount}, {"account": "3001", "credit": amount}]})


# -- the contract's own examples ----------------------------------------------------------------
def test_contract_3_2_monthly_average_example(post_json):
    """Contract 3.2 (monthly average).

    opening  WH1 100 kg = 1000.00 (unit 10.00)
    01-05    receipt 50 @ 11.00 = 550.00
    01-10    D1 30 kg;  01-20  D2 40 kg;  01-25  transfer 20 kg WH1 → WH2
    close    unit = (1000 + 550) / 150; closing qty 80 → round(80 × 1550 / 150) = 826.67
             issue cost C = 1550.00 − 826.67 = 723.33
             D1 = round(723.33 × 30 / 70) = 310.00, D2 (last) = 723.33 − 310.00 = 413.33
    01-31    WH1 60 kg → round(826.67 × 60 / 80) = 620.00, WH2 (last) 826.67 − 620.00 = 206.67
    01-30    pending: 80 × 10.00 = 800.00 → WH1 600.00, WH2 200.00
    The close voucher (dated 01-31): Dr 5401 310.00 / Cr 1405 310.00 and Dr 5401 413.33 / Cr 1405 413.33,
    each linked to its delivery.
    """
    setup_company(post_json, "monthly_average")
    opening_stock(post_json, "WH1", [("A001", "100", "1000.00")])
    opening_balance(post_json, "1000.00")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "50", "11.00")]))
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "30", "20.00")]))
    post_json(delivery("D2", "2026-01-20", "WH1", [("A001", "40", "20.00")]))
    post_json(transfer("T1", "2026-01-25", "WH1", "WH2", [("A001", "20")]))
    assert stock("2026-01-30") == {("A001", "WH1"): (60, D("600.00"), True), ("A001", "WH2"): (20, D("200.00"), True)}
    post_json(close("C1", "2026-01"))
    assert result("sales_delivery", "D1") == {"cost": 31000}
    assert result("sales_delivery", "D2") == {"cost": 41333}
    assert stock("2026-01-31") == {("A001", "WH1"): (60, D("620.00"), False), ("A001", "WH2"): (20, D("206.67"), False)}
    assert stock("2026-01-30") == {("A001", "WH1"): (60, D("600.00"), True), ("A001", "WH2"): (20, D("200.00"), True)}
    assert lines_linked("sales_delivery", "D1")["5401"] == (D("310.00"), 0)
    assert lines_linked("sales_delivery", "D2")["5401"] == (D("413.33"), 0)
    [(_, when, lines)] = vouchers_of("period_close", "C1")
    assert when == "2026-01-31"
    assert sorted(lines) == sorted([("5401", D("310.00"), 0), ("1405", 0, D("310.00")),
                                    ("5401", D("413.33"), 0), ("1405", 0, D("413.33"))])
    t = tb("2026-01-01", "2026-01-31")
    assert t["1405"] == (D("1000.00"), D("550.00"), D("723.33"), D("826.67"))
    assert recon("2026-01-31")[("stock", "1405")]["difference"] == "0.00"


def test_contract_3_3_fifo_invoice_difference(post_json):
    """Contract 3.3 (fifo).

    R1  receive 10 kg @ 10.00 = 100.00 (one layer 10 / 100.00)
    D1  deliver 6 → cost round(100 × 6 / 10) = 60.00; layer 4 / 40.00
    I1  invoice 5 @ 12.00 = 60.00; P = round(100 × 5 / 10) = 50.00; diff 10.00
        N = 10, R = 4: stock share round(10.00 × 4 / 10) = 4.00 (layer 4 / 44.00), 6.00 to 5401
        voucher: Dr 220202 50.00, Dr 222101 7.80, Dr 1405 4.00, Dr 5401 6.00 / Cr 220201 67.80
    I2  the same again: P = the rest 50.00, diff 10.00, 4.00 → layer 4 / 48.00, 6.00 to 5401
    """
    setup_company(post_json, "fifo")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-06", "WH1", [("A001", "6", "20.00")]))
    post_json(pinv("I1", "2026-01-07", [("R1", 1, "5", "12.00")]))
    assert result("purchase_invoice", "I1") == {"P": 5000, "stock": 400, "cogs": 600}
    [(kind, _, lines)] = vouchers_of("purchase_invoice", "I1")
    assert sorted(lines) == sorted([("220202", D("50.00"), 0), ("222101", D("7.80"), 0), ("1405", D("4.00"), 0),
                                    ("5401", D("6.00"), 0), ("220201", 0, D("67.80"))])
    assert stock("2026-01-07") == {("A001", "WH1"): (4, D("44.00"), False)}
    post_json(pinv("I2", "2026-01-08", [("R1", 1, "5", "12.00")]))
    assert result("purchase_invoice", "I2") == {"P": 5000, "stock": 400, "cogs": 600}
    assert stock("2026-01-31") == {("A001", "WH1"): (4, D("48.00"), False)}
    r = recon("2026-01-31")
    assert r[("grni", "220202")]["gl"] == "0.00" and r[("grni", "220202")]["difference"] == "0.00"
    assert r[("stock", "1405")]["gl"] == "48.00" and r[("stock", "1405")]["difference"] == "0.00"
    assert r[("ap", "220201")]["gl"] == "135.60"


def test_contract_2_units_example(post_json):
    """Contract section 2: 0.333 t at 61234.5678 is worth round(0.333 × 61234.5678, 2) = 20391.11 and
    receives 333 kg. Its invoice line may say "qty": "333" (kg) at 61.2345678 per kg:
    net round(333 × 61.2345678) = round(20391.111077) = 20391.11, P = all 20391.11, no difference."""
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "0.333", "61234.5678", "t")]))
    assert stock("2026-01-31") == {("A001", "WH1"): (D("333"), D("20391.11"), False)}
    post_json(pinv("I1", "2026-01-06", [("R1", 1, "333", "61.2345678")]))
    assert result("purchase_invoice", "I1") == {"P": 2039111, "stock": 0, "cogs": 0}
    assert stock("2026-01-31") == {("A001", "WH1"): (D("333"), D("20391.11"), False)}
    # the 333 kg are all invoiced: one more kg (in either unit) is over the receipt
    assert err(post_json, pinv("I2", "2026-01-07", [("R1", 1, "0.001", "1")]) | {"lines": [
        {"receipt": "R1", "line": 1, "qty": "0.001", "uom": "t", "unit_price": "1"}]}) == "invoice_exceeds_receipt"


def test_contract_5_moving_average_report_example(post_json):
    """Contract section 5: opening 100 kg = 5000.00 (and 1405 opening balance 5000.00),
    receipt 10 kg @ 52.00 = 520.00 → unit 110 kg / 5520.00,
    delivery 15 kg @ 80.00: cost round(5520 × 15 / 110, 2) = 752.73 → 95 kg / 4767.27.
    Trial balance 1405: opening 5000.00, debit 520.00, credit 752.73, closing 4767.27;
    220202: credit 520.00, closing −520.00. Reconcile: stock 1405 4767.27 = 4767.27, grni 520.00."""
    setup_company(post_json, "moving_average")
    opening_stock(post_json, "WH1", [("A001", "100", "5000.00")])
    opening_balance(post_json, "5000.00")
    post_json(receipt("R1", "2026-01-10", "WH1", [("A001", "10", "52.00")]))
    post_json(delivery("D1", "2026-01-15", "WH1", [("A001", "15", "80.00")]))
    assert result("sales_delivery", "D1") == {"cost": 75273}
    assert stock("2026-01-31") == {("A001", "WH1"): (95, D("4767.27"), False)}
    t = tb("2026-01-01", "2026-01-31")
    assert t["1405"] == (D("5000.00"), D("520.00"), D("752.73"), D("4767.27"))
    assert t["220202"] == (0, 0, D("520.00"), D("-520.00"))
    assert t["5401"] == (0, D("752.73"), 0, D("752.73"))
    assert t["5001"] == (0, 0, D("1200.00"), D("-1200.00"))
    r = recon("2026-01-31")
    assert (r[("stock", "1405")]["gl"], r[("stock", "1405")]["subledger"], r[("stock", "1405")]["difference"]) == \
        ("4767.27", "4767.27", "0.00")
    assert (r[("grni", "220202")]["gl"], r[("grni", "220202")]["subledger"]) == ("520.00", "520.00")
    assert r[("ar", "1122")]["difference"] == "0.00"


# -- purchase returns -----------------------------------------------------------------------------
def test_moving_purchase_return_emptying_unit_sends_residue_to_5401(post_json):
    """Moving average.

    R1  10 kg @ 10.00 = 100.00                    unit 10 / 100.00
    D1  deliver 5: round(100 × 5 / 10) = 50.00    unit 5 / 50.00
    I1  invoice 5 of R1 @ 11.00 = 55.00; P = 50.00; diff 5.00 → unit (qty > 0)   unit 5 / 55.00
    PR  return the other 5 of R1: P = the rest of 100.00 = 50.00; unit empties with 55.00 − 50.00 = 5.00
        left → 5401. Voucher: Dr 220202 50.00, Dr 5401 5.00 / Cr 1405 55.00 (one inventory line).
    Afterwards the unit is empty (no stock-balance row) and 220202 is cleared.
    """
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-06", "WH1", [("A001", "5", "20.00")]))
    post_json(pinv("I1", "2026-01-07", [("R1", 1, "5", "11.00")]))
    post_json(pret("PR1", "2026-01-08", "R1", [(1, "5")]))
    assert result("purchase_return", "PR1") == {"P": 5000, "value": 5500}
    [(kind, _, lines)] = vouchers_of("purchase_return", "PR1")
    assert sorted(lines) == sorted([("220202", D("50.00"), 0), ("5401", D("5.00"), 0), ("1405", 0, D("55.00"))])
    assert stock("2026-01-31") == {}
    r = recon("2026-01-31")
    assert r[("stock", "1405")]["gl"] == "0.00" and r[("grni", "220202")]["gl"] == "0.00"


def test_moving_purchase_return_not_emptying_keeps_value_even_negative(post_json):
    """Moving average: R1 10 @ 10.00, D1 8 → cost 80.00, unit 2 / 20.00. R2 10 @ 1.00 = 10.00 → 12 / 30.00.
    Return 1 of R1: P = 10.00, the unit keeps 11 / 20.00 (no residue while it still holds qty)."""
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-06", "WH1", [("A001", "8", "20.00")]))
    post_json(receipt("R2", "2026-01-07", "WH1", [("A001", "10", "1.00")]))
    post_json(pret("PR1", "2026-01-08", "R1", [(1, "1")]))
    assert result("purchase_return", "PR1") == {"P": 1000, "value": 1000}
    assert stock("2026-01-31") == {("A001", "WH1"): (11, D("20.00"), False)}


def test_fifo_purchase_return_follows_layers_through_transfers(post_json):
    """FIFO.

    R1  WH1 10 @ 10.00 = 100.00;  R2  WH1 10 @ 20.00 = 200.00
    T1  WH1 → WH2 15: takes R1's layer (10 / 100.00) and 5 of R2's (round(200 × 5 / 10) = 100.00);
        WH2 gets layers [10 / 100.00 from R1], [5 / 100.00 from R2]; WH1 keeps [5 / 100.00 from R2]
    PR1 return 4 of R1: R1's layers are only at WH2 now: round(100 × 4 / 10) = 40.00 from WH2;
        P = round(100 × 4 / 10) = 40.00 → WH2 11 / 160.00
    PR2 return 8 of R2: R2's layers in creation order: WH1's own (5 / 100.00), then WH2's (5 / 100.00):
        5 from WH1 = 100.00, 3 from WH2 = round(100 × 3 / 5) = 60.00 → value 160.00; P = round(200 × 8 / 10) = 160.00
        WH1 empty; WH2: [6 / 60.00 R1], [2 / 40.00 R2] = 8 / 100.00
    D1  deliver 7 from WH2: takes R1's 6 (60.00) and 1 of R2 (20.00)
    PR3 return 1 more of R1 (5 of 10 returned, within the receipt): R1's layers hold nothing → return_exceeds_stock
    """
    setup_company(post_json, "fifo")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(receipt("R2", "2026-01-06", "WH1", [("A001", "10", "20.00")]))
    post_json(transfer("T1", "2026-01-07", "WH1", "WH2", [("A001", "15")]))
    assert stock("2026-01-07") == {("A001", "WH1"): (5, D("100.00"), False), ("A001", "WH2"): (15, D("200.00"), False)}
    post_json(pret("PR1", "2026-01-08", "R1", [(1, "4")]))
    assert result("purchase_return", "PR1") == {"P": 4000, "value": 4000}
    assert stock("2026-01-08") == {("A001", "WH1"): (5, D("100.00"), False), ("A001", "WH2"): (11, D("160.00"), False)}
    post_json(pret("PR2", "2026-01-09", "R2", [(1, "8")]))
    assert result("purchase_return", "PR2") == {"P": 16000, "value": 16000}
    assert stock("2026-01-09") == {("A001", "WH2"): (8, D("100.00"), False)}
    post_json(delivery("D1", "2026-01-10", "WH2", [("A001", "7", "30.00")]))
    assert result("sales_delivery", "D1") == {"cost": 8000}
    before = footprint()
    assert err(post_json, pret("PR3", "2026-01-11", "R1", [(1, "1")])) == "return_exceeds_stock"
    assert footprint() == before


def test_fifo_backdated_issue_taking_layers_a_later_return_needs(post_json):
    """FIFO: R1 WH1 10 @ 10.00 (01-05); PR1 return 5 of R1 on 01-20.
    A delivery of 6 backdated to 01-10 leaves R1's layer 4 < 5 at the return → return_exceeds_stock."""
    setup_company(post_json, "fifo")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(receipt("R2", "2026-01-06", "WH1", [("A001", "10", "10.00")]))
    post_json(pret("PR1", "2026-01-20", "R1", [(1, "5")]))
    before = footprint()
    assert err(post_json, delivery("D1", "2026-01-10", "WH1", [("A001", "6", "30.00")])) == "return_exceeds_stock"
    assert footprint() == before


def test_purchase_return_lacking_qty_at_receipt_warehouse(post_json):
    """Moving average: R1 WH1 10, transfer all 10 to WH2: a return of R1 leaves WH1, which is empty → negative_stock."""
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(transfer("T1", "2026-01-06", "WH1", "WH2", [("A001", "10")]))
    assert err(post_json, pret("PR1", "2026-01-07", "R1", [(1, "1")])) == "negative_stock"


# -- count gains: the unit cost --------------------------------------------------------------------
def test_fifo_count_gain_newest_layer_and_empty_units_last_layer(post_json):
    """FIFO, WH1.

    R1 10 @ 10.00, R2 10 @ 12.00; D1 15 → takes R1 (100.00) and 5 of R2 (60.00); WH1 [5 / 60.00]
    K1 count 7: gain 2 × newest layer 60.00 / 5 = 24.00 → WH1 [5 / 60.00], [2 / 24.00]
    K2 count 9 with unit_cost 13.00: gain 2 × 13.00 = 26.00 → newest layer [2 / 26.00]
    D2 deliver 9 → WH1 empty
    K3 count 1: no layer; its newest layer when it last held stock was 2 / 26.00 → 13.00
    K4 count at WH2 (never held A001): only the count's warehouse counts → unknown_cost
    """
    setup_company(post_json, "fifo")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(receipt("R2", "2026-01-06", "WH1", [("A001", "10", "12.00")]))
    post_json(delivery("D1", "2026-01-07", "WH1", [("A001", "15", "30.00")]))
    post_json(count("K1", "2026-01-08", "WH1", [("A001", "7")]))
    assert result("stock_count", "K1") == {"diff": 20000, "value": 2400}
    post_json(count("K2", "2026-01-09", "WH1", [("A001", "9", "13.00")]))
    assert result("stock_count", "K2") == {"diff": 20000, "value": 2600}
    post_json(delivery("D2", "2026-01-10", "WH1", [("A001", "9", "30.00")]))
    assert result("sales_delivery", "D2") == {"cost": 6000 + 2400 + 2600}
    post_json(count("K3", "2026-01-11", "WH1", [("A001", "1")]))
    assert result("stock_count", "K3") == {"diff": 10000, "value": 1300}
    assert err(post_json, count("K4", "2026-01-12", "WH2", [("A001", "1")])) == "unknown_cost"
    [(_, _, lines)] = vouchers_of("stock_count", "K3")
    assert sorted(lines) == sorted([("1405", D("13.00"), 0), ("1901", 0, D("13.00"))])


def test_moving_count_gain_unit_and_last_average(post_json):
    """Moving average, WH1.

    R1 10 @ 10.00, R2 10 @ 13.00 → 20 / 230.00
    K1 count 21 → gain 1 × 230 / 20 = 11.50 → 21 / 241.50
    D1 deliver 21 → empty (cost 241.50)
    K2 count 2 → last average while it held stock: 241.50 / 21 = 11.50 → 23.00
    K3 count at WH2 (never held stock) → unknown_cost
    """
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(receipt("R2", "2026-01-06", "WH1", [("A001", "10", "13.00")]))
    post_json(count("K1", "2026-01-07", "WH1", [("A001", "21")]))
    assert result("stock_count", "K1") == {"diff": 10000, "value": 1150}
    post_json(delivery("D1", "2026-01-08", "WH1", [("A001", "21", "30.00")]))
    assert result("sales_delivery", "D1") == {"cost": 24150}
    post_json(count("K2", "2026-01-09", "WH1", [("A001", "2")]))
    assert result("stock_count", "K2") == {"diff": 20000, "value": 2300}
    assert err(post_json, count("K3", "2026-01-10", "WH2", [("A001", "1")])) == "unknown_cost"


def test_monthly_count_gain_unit_costs(post_json):
    """Monthly average.

    A001: opening 100 kg = 1000.00. January: R1 50 @ 11.00. K1 (01-20) count 151 → the last closed unit cost is
    the opening stock's 10.00 (no close yet) → gain 1 = 10.00. Close January: unit (1000 + 550 + 10) / 151.
    K2 (02-05) count 152 → gain 1 × 1560 / 151 = round(10.3311…) = 10.33.
    B002 (no opening): R2 10 @ 10.00, R3 10 @ 13.00 in February; K3 count 21 → no close with qty, no opening:
    Σ receipts value / qty = 230 / 20 = 11.50. K4 count at WH2 (no B002 there, monthly: the item counts) → 11.50.
    A new item C003 with no receipts at all → unknown_cost.
    """
    setup_company(post_json, "monthly_average")
    post_json({"type": "item", "code": "C003", "name": "新品", "uom": "pcs"})
    opening_stock(post_json, "WH1", [("A001", "100", "1000.00")])
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "50", "11.00")]))
    post_json(count("K1", "2026-01-20", "WH1", [("A001", "151")]))
    assert result("stock_count", "K1") == {"diff": 10000, "value": 1000}
    post_json(close("C1", "2026-01"))
    post_json(count("K2", "2026-02-05", "WH1", [("A001", "152")]))
    assert result("stock_count", "K2") == {"diff": 10000, "value": 1033}
    post_json(receipt("R2", "2026-02-06", "WH1", [("B002", "10", "10.00")]))
    post_json(receipt("R3", "2026-02-07", "WH1", [("B002", "10", "13.00")]))
    post_json(count("K3", "2026-02-08", "WH1", [("B002", "21")]))
    assert result("stock_count", "K3") == {"diff": 10000, "value": 1150}
    post_json(count("K4", "2026-02-09", "WH2", [("B002", "1")]))
    assert result("stock_count", "K4") == {"diff": 10000, "value": 1150}
    assert err(post_json, count("K5", "2026-02-10", "WH1", [("C003", "1")])) == "unknown_cost"


def test_count_settlement_twice_is_invalid(post_json):
    """Moving: R1 10 @ 10.00; K1 count 8 → loss 2 = 20.00 (Dr 1901 / Cr 1405); settlement S1: Dr 5711 20.00 /
    Cr 1901 20.00; a second settlement of K1 → invalid_value, nothing written."""
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(count("K1", "2026-01-06", "WH1", [("A001", "8")]))
    assert result("stock_count", "K1") == {"diff": -20000, "value": -2000}
    post_json({"type": "count_settlement", "ref": "S1", "date": "2026-01-07", "count": "K1"})
    [(_, _, lines)] = vouchers_of("count_settlement", "S1")
    assert sorted(lines) == sorted([("5711", D("20.00"), 0), ("1901", 0, D("20.00"))])
    before = footprint()
    assert err(post_json, {"type": "count_settlement", "ref": "S2", "date": "2026-01-08", "count": "K1"}) == "invalid_value"
    assert footprint() == before
    assert tb("2026-01-01", "2026-01-31")["1901"][3] == 0


def test_monthly_settlement_of_loss_before_close_is_pending_cost(post_json):
    """Monthly average: opening 100 kg = 1000.00; K1 (01-10) count 90 → loss 10, cost pending until close.
    S1 settling it in January → pending_cost. After the close (unit 10.00): loss 100.00 (close: Dr 1901 /
    Cr 1405), and S1 in February: Dr 5711 100.00 / Cr 1901 100.00."""
    setup_company(post_json, "monthly_average")
    opening_stock(post_json, "WH1", [("A001", "100", "1000.00")])
    post_json(count("K1", "2026-01-10", "WH1", [("A001", "90")]))
    before = footprint()
    assert err(post_json, {"type": "count_settlement", "ref": "S1", "date": "2026-01-11", "count": "K1"}) == "pending_cost"
    assert footprint() == before
    post_json(close("C1", "2026-01"))
    assert result("stock_count", "K1") == {"diff": -100000, "value": -10000}
    assert lines_linked("stock_count", "K1") == {"1901": (D("100.00"), 0), "1405": (0, D("100.00"))}
    post_json({"type": "count_settlement", "ref": "S1", "date": "2026-02-01", "count": "K1"})
    [(_, _, lines)] = vouchers_of("count_settlement", "S1")
    assert sorted(lines) == sorted([("5711", D("100.00"), 0), ("1901", 0, D("100.00"))])


# -- backdated documents ------------------------------------------------------------------------------
def test_backdated_delivery_starving_a_later_one_is_negative_stock(post_json):
    """Moving: R1 (01-05) 10 kg; D2 (01-20) 8 kg. A delivery D1 of 5 kg backdated to 01-10 is fine at its
    own point (10 ≥ 5) but leaves 5 < 8 for D2 → negative_stock, and nothing is written."""
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D2", "2026-01-20", "WH1", [("A001", "8", "20.00")]))
    before = footprint()
    assert err(post_json, delivery("D1", "2026-01-10", "WH1", [("A001", "5", "20.00")])) == "negative_stock"
    assert footprint() == before
    # same with a scrap and a transfer out
    assert err(post_json, scrap("X1", "2026-01-10", "WH1", [("A001", "3")])) == "negative_stock"
    assert err(post_json, transfer("T1", "2026-01-10", "WH1", "WH2", [("A001", "3")])) == "negative_stock"
    assert footprint() == before


@pytest.mark.parametrize("method", ["moving_average", "fifo"])
def test_backdated_receipt_recosts_later_delivery_with_red_ink(post_json, method):
    """R1 (01-05) 10 kg @ 10.00; D1 (01-20) 5 kg @ 20.00: cost 50.00 (both methods).
    R2 (01-10, backdated) 10 kg @ 7.00 = 70.00.
    moving: D1 now costs round(170 × 5 / 20) = 42.50: a re-costing voucher (kind "recost", owned by R2) dated
            01-20, its lines linked to D1, red ink: Dr 5401 −7.50 / Cr 1405 −7.50.
    fifo:   D1 takes the oldest layer (R1) either way: 50.00, no adjustment.
    Trial balance for January, equal to posting in date order:
      moving: 1405 debit 170.00 credit 42.50; 5401 debit 42.50 (its turnover net of the red ink)
      fifo:   1405 debit 170.00 credit 50.00; 5401 debit 50.00
    """
    setup_company(post_json, method)
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-20", "WH1", [("A001", "5", "20.00")]))
    post_json(receipt("R2", "2026-01-10", "WH1", [("A001", "10", "7.00")]))
    cost = D("42.50") if method == "moving_average" else D("50.00")
    vs = vouchers_of("sales_delivery", "D1")
    if method == "moving_average":
        assert len(vs) == 2
        kind, when, lines = vs[1]
        assert (kind, when) == ("recost", "2026-01-20")
        assert sorted(lines) == sorted([("5401", D("-7.50"), 0), ("1405", 0, D("-7.50"))])
        from stockbook.posting.models import Document
        from stockbook.posting.sync import caused_by

        r2, d1 = (Document.objects.get(ref=r) for r in ("R2", "D1"))
        [v] = caused_by(r2.pk)
        assert v.date.isoformat() == "2026-01-20" and set(v.lines.values_list("document_id", "doc_line")) == {(d1.pk, 1)}
    else:
        assert len(vs) == 1
    assert result("sales_delivery", "D1") == {"cost": int(cost * 100)}
    t = tb("2026-01-01", "2026-01-31")
    assert t["1405"] == (0, D("170.00"), cost, D("170.00") - cost)
    assert t["5401"] == (0, cost, 0, cost)
    assert stock("2026-01-31") == {("A001", "WH1"): (15, D("170.00") - cost, False)}
    assert recon("2026-01-31")[("stock", "1405")]["difference"] == "0.00"
    from stockbook.stock.revalue import recompute

    assert recompute() == []


def test_a_backdated_document_leaves_the_rows_of_receipts_and_openings_alone(post_json, monkeypatch):
    """Receipts' and openings' moves and results are their own figures, so a new document's replay does not read or
    compare them (stock/service.FIXED_KINDS); what it does read and rewrite still comes out as posting in date
    order. Opening 2 @ 9.00, R1 10 @ 10.00 and D1 6 on 01-10; R2 5 @ 16.00 backdated to 01-08: D1 costs
    round(198.00 × 6 / 17) = 69.88; its own move is inserted, the other receipts' rows are not read."""
    from stockbook.stock import service
    from stockbook.stock.models import StockMove
    from stockbook.stock.revalue import recompute

    setup_company(post_json, "moving_average")
    opening_stock(post_json, "WH1", [("A001", "2", "18.00")])
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "6", "20.00")]))
    read = []
    real = service.Costing._stored_moves

    def spy(self, *a, **kw):
        out = real(self, *a, **kw)
        read.extend(row[3] for row in out.values())
        return out
    monkeypatch.setattr(service.Costing, "_stored_moves", spy)
    post_json(receipt("R2", "2026-01-08", "WH1", [("A001", "5", "16.00")]))
    assert read == [202]  # D1's delivery move only
    assert result("sales_delivery", "D1") == {"cost": 6988}
    assert result("purchase_receipt", "R2") == {"value": 8000}
    assert sorted(StockMove.objects.values_list("code", "qty", "value")) == [
        (101, 50000, 8000), (101, 100000, 10000), (105, 20000, 1800), (202, -60000, -6988)]
    assert recompute() == []


def test_backdated_receipt_figures_equal_date_order_posting(post_json):
    """Moving, several backdated documents; the figures must equal those of posting in date order
    (hand-computed in date order):

    01-05 R1 10 @ 10.00 = 100.00              unit 10 / 100.00
    01-08 R2  5 @ 16.00 =  80.00 (backdated)   unit 15 / 180.00
    01-10 D1  6: round(180 × 6 / 15) = 72.00   unit  9 / 108.00
    01-12 T1  3 → WH2: round(108 × 3 / 9) = 36.00; WH1 6 / 72.00, WH2 3 / 36.00
    01-15 X1 scrap 1 at WH2 (backdated): round(36 × 1 / 3) = 12.00; WH2 2 / 24.00
    01-20 D2  1: round(72 × 1 / 6) = 12.00     WH1 5 / 60.00
    Posting order: R1, D1, T1, D2, then R2 and X1.
    January: 1405 debit 180.00, credit 72.00 + 12.00 + 12.00 = 96.00, closing 84.00; 5401 debit 84.00;
    5711 debit 12.00.
    """
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "6", "20.00")]))
    post_json(transfer("T1", "2026-01-12", "WH1", "WH2", [("A001", "3")]))
    post_json(delivery("D2", "2026-01-20", "WH1", [("A001", "1", "20.00")]))
    post_json(receipt("R2", "2026-01-08", "WH1", [("A001", "5", "16.00")]))
    post_json(scrap("X1", "2026-01-15", "WH2", [("A001", "1")]))
    assert result("sales_delivery", "D1") == {"cost": 7200}
    assert result("transfer", "T1") == {"value": 3600}
    assert result("scrap", "X1") == {"cost": 1200}
    assert result("sales_delivery", "D2") == {"cost": 1200}
    t = tb("2026-01-01", "2026-01-31")
    assert t["1405"] == (0, D("180.00"), D("96.00"), D("84.00"))
    assert t["5401"] == (0, D("84.00"), 0, D("84.00"))
    assert t["5711"] == (0, D("12.00"), 0, D("12.00"))
    assert stock("2026-01-31") == {("A001", "WH1"): (5, D("60.00"), False), ("A001", "WH2"): (2, D("24.00"), False)}
    from stockbook.stock.revalue import recompute

    assert recompute() == []


# -- monthly average: sales returns ----------------------------------------------------------------
def _monthly_base(post_json):
    setup_company(post_json, "monthly_average")
    opening_stock(post_json, "WH1", [("A001", "100", "1000.00")])
    opening_balance(post_json, "1000.00")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "50", "11.00")]))
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "30", "20.00")]))


def test_monthly_same_month_return_nets_against_delivery(post_json):
    """Monthly: opening 100 kg = 1000.00; R1 50 @ 11.00; D1 (01-10) 30 kg; SR1 (01-15) returns 10 of D1:
    D1's issue qty becomes 20, SR1 has no cost line.
    Close: closing 130 kg → round(130 × 1550 / 150) = 1343.33; C = 1550.00 − 1343.33 = 206.67, all on D1."""
    _monthly_base(post_json)
    post_json(sret("SR1", "2026-01-15", "D1", [(1, "10")]))
    post_json(close("C1", "2026-01"))
    assert result("sales_delivery", "D1") == {"cost": 20667}
    assert stock("2026-01-31") == {("A001", "WH1"): (130, D("1343.33"), False)}
    assert "1405" not in lines_linked("sales_return", "SR1")
    assert recon("2026-01-31")[("stock", "1405")]["difference"] == "0.00"


def test_monthly_later_month_return_takes_part_of_net_issue_cost(post_json):
    """Monthly: as above, D1 30 kg with SR1 (same month) 10 back → D1 net issue 20 kg costing 206.67.
    SR2 (02-05) returns 10 more: a receipt worth the part of D1's cost with Q = its net issue qty 20:
    round(206.67 × 10 / 20) = round(103.335) = 103.34 (not the whole 206.67: only 10 of the 20 come back).
    Voucher of SR2: Dr 5001 / Cr 112202 200.00 and Dr 1405 103.34 / Cr 5401 103.34."""
    _monthly_base(post_json)
    post_json(sret("SR1", "2026-01-15", "D1", [(1, "10")]))
    post_json(close("C1", "2026-01"))
    post_json(sret("SR2", "2026-02-05", "D1", [(1, "10")]))
    assert result("sales_return", "SR2") == {"P": 20000, "cost": 10334}


def test_monthly_later_month_return_of_closed_month(post_json):
    """Monthly: D1 30 kg costing round(1550 − round(120 × 1550 / 150)) … no same-month return here:
    closing 120 kg → 1240.00, C = 310.00 → D1 310.00. SR2 (02-05) returns 6: round(310 × 6 / 30) = 62.00,
    Dr 1405 62.00 / Cr 5401 62.00. Feb close: opening 120 / 1240.00 + 6 / 62.00 → 126 kg = 1302.00."""
    _monthly_base(post_json)
    post_json(close("C1", "2026-01"))
    assert result("sales_delivery", "D1") == {"cost": 31000}
    post_json(sret("SR2", "2026-02-05", "D1", [(1, "6")]))
    assert result("sales_return", "SR2") == {"P": 12000, "cost": 6200}
    assert lines_linked("sales_return", "SR2")["1405"] == (D("62.00"), 0)
    post_json(close("C2", "2026-02"))
    assert stock("2026-02-28") == {("A001", "WH1"): (126, D("1302.00"), False)}
    assert recon("2026-02-28")[("stock", "1405")]["difference"] == "0.00"


def test_monthly_return_of_open_earlier_month_gets_value_at_close(post_json):
    """Monthly: opening 100 kg = 1000.00; D1 (01-10) 10 kg; SR1 (02-05, January still open) returns 5 of D1:
    value pending. Close January: unit 10.00, closing 90 kg = 900.00, D1 costs 100.00; the return is now
    worth round(100 × 5 / 10) = 50.00 and the close posts Dr 1405 50.00 / Cr 5401 50.00 dated 02-05, linked
    to SR1. Close February: 90 / 900.00 + 5 / 50.00 → 95 kg = 950.00."""
    setup_company(post_json, "monthly_average")
    opening_stock(post_json, "WH1", [("A001", "100", "1000.00")])
    opening_balance(post_json, "1000.00")
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "10", "20.00")]))
    post_json(sret("SR1", "2026-02-05", "D1", [(1, "5")]))
    post_json(close("C1", "2026-01"))
    post_json(close("C2", "2026-02"))
    assert stock("2026-02-28") == {("A001", "WH1"): (95, D("950.00"), False)}
    assert lines_linked("sales_return", "SR1").get("1405") == (D("50.00"), 0)


# -- quantity limits, credit, allocations, simple rejections --------------------------------------------
def test_invoice_and_return_quantity_limits(post_json):
    """R1 10 kg: I1 invoices 6, PR1 returns 4 (6 + 4 = 10 = received). One more kg invoiced →
    invoice_exceeds_receipt, returned → return_exceeds_original. D1 10 kg: SI1 invoices 7, SR1 returns 3;
    one more → invoice_exceeds_delivery / return_exceeds_original. A return over the line in one document
    (two lines of 6 on a 10 line) → return_exceeds_original."""
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(receipt("R0", "2026-01-05", "WH1", [("A001", "30", "10.00")]))
    post_json(pinv("I1", "2026-01-06", [("R1", 1, "6", "10.00")]))
    post_json(pret("PR1", "2026-01-07", "R1", [(1, "4")]))
    assert err(post_json, pinv("I2", "2026-01-08", [("R1", 1, "1", "10.00")])) == "invoice_exceeds_receipt"
    assert err(post_json, pret("PR2", "2026-01-08", "R1", [(1, "1")])) == "return_exceeds_original"
    post_json(delivery("D1", "2026-01-09", "WH1", [("A001", "10", "20.00")]))
    post_json(sinv("SI1", "2026-01-10", [("D1", 1, "7", "20.00")]))
    post_json(sret("SR1", "2026-01-11", "D1", [(1, "3")]))
    assert err(post_json, sinv("SI2", "2026-01-12", [("D1", 1, "0.5", "20.00")])) == "invoice_exceeds_delivery"
    assert err(post_json, sret("SR2", "2026-01-12", "D1", [(1, "0.5")])) == "return_exceeds_original"
    post_json(delivery("D2", "2026-01-13", "WH1", [("A001", "10", "20.00")]))
    assert err(post_json, sret("SR3", "2026-01-14", "D2", [(1, "6"), (1, "6")])) == "return_exceeds_original"
    assert err(post_json, sinv("SI3", "2026-01-14", [("D2", 1, "6", "1"), ("D2", 1, "6", "1")])) == "invoice_exceeds_delivery"
    # the limits hold over all accepted documents whatever their dates: a backdated invoice too
    assert err(post_json, pinv("I3", "2026-01-05", [("R1", 1, "1", "10.00")])) == "invoice_exceeds_receipt"


def test_credit_limit(post_json):
    """C01 limit 100000.00. D1 100 kg @ 500.00 = 50000.00 (1122: 50000.00). SI1 invoices it with 13% tax:
    112201 +56500.00, 112202 −50000.00 → 56500.00. D2 @ 43500.01 → 100000.01 > limit → credit_limit_exceeded;
    D2 @ 43500.00 → exactly the limit, accepted. A receipt of 0.01 makes room for 0.01 more.
    C03 with "0.00": no credit at all."""
    setup_company(post_json, "moving_average")
    post_json({"type": "customer", "code": "C03", "name": "现款客户", "credit_limit": "0.00"})
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "1000", "1.00")]))
    post_json(delivery("D1", "2026-01-06", "WH1", [("A001", "100", "500.00")]))
    post_json(sinv("SI1", "2026-01-07", [("D1", 1, "100", "500.00")]))
    before = footprint()
    assert err(post_json, delivery("D2", "2026-01-08", "WH1", [("A001", "1", "43500.01")])) == "credit_limit_exceeded"
    assert footprint() == before
    post_json(delivery("D2", "2026-01-08", "WH1", [("A001", "1", "43500.00")]))
    assert err(post_json, delivery("D3", "2026-01-09", "WH1", [("A001", "1", "0.01")])) == "credit_limit_exceeded"
    post_json({"type": "customer_receipt", "ref": "CR1", "date": "2026-01-09", "customer": "C01", "account": "1002",
               "amount": "0.01"})
    post_json(delivery("D3", "2026-01-09", "WH1", [("A001", "1", "0.01")]))
    assert err(post_json, delivery("D4", "2026-01-09", "WH1", [("A001", "1", "0.01")], customer="C03")) == "credit_limit_exceeded"
    # a backdated credit (dated before everything) counts too: limits are over all accepted documents
    assert err(post_json, delivery("D5", "2026-01-01", "WH1", [("A001", "1", "0.01")])) == "credit_limit_exceeded"


def test_allocations_above_open_amount(post_json):
    """SI1 gross 100.00 + 13.00 = 113.00. A receipt allocating 113.01 → invalid_value; 100.00 is fine; then
    13.01 more → invalid_value, 13.00 → fine, and 0.01 more → invalid_value. Allocations summing above the
    receipt's own amount → invalid_value. AR after: 113.00 invoiced − 113.00 received = 0."""
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "1.00")]))
    post_json(delivery("D1", "2026-01-06", "WH1", [("A001", "10", "10.00")]))
    post_json(sinv("SI1", "2026-01-07", [("D1", 1, "10", "10.00")]))

    def rcpt(ref, amount, alloc):
        return {"type": "customer_receipt", "ref": ref, "date": "2026-01-08", "customer": "C01", "account": "1002",
                "amount": amount, "allocations": [{"invoice": "SI1", "amount": a} for a in alloc]}

    assert err(post_json, rcpt("CR0", "200.00", ["113.01"])) == "invalid_value"
    assert err(post_json, rcpt("CR0", "200.00", ["100.00", "13.01"])) == "invalid_value"
    assert err(post_json, rcpt("CR0", "50.00", ["60.00"])) == "invalid_value"
    post_json(rcpt("CR1", "100.00", ["100.00"]))
    assert err(post_json, rcpt("CR2", "13.01", ["13.01"])) == "invalid_value"
    post_json(rcpt("CR2", "13.00", ["13.00"]))
    assert err(post_json, rcpt("CR3", "0.01", ["0.01"])) == "invalid_value"
    r = recon("2026-01-31")[("ar", "1122")]
    assert (r["gl"], r["subledger"], r["difference"]) == ("0.00", "0.00", "0.00")


def test_simple_rejections(post_json):
    """Transfer to its own warehouse → invalid_value; a unit the item lacks → unknown_unit; a document in a
    closed month → period_closed (and before start_period too); none of them writes anything."""
    setup_company(post_json, "fifo")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(close("C1", "2026-01"))
    before = footprint()
    assert err(post_json, transfer("T1", "2026-02-01", "WH1", "WH1", [("A001", "1")])) == "invalid_value"
    assert err(post_json, receipt("R2", "2026-02-01", "WH1", [("A001", "1", "1.00", "box")])) == "unknown_unit"
    assert err(post_json, receipt("R2", "2026-02-01", "WH1", [("B002", "1", "1.00", "t")])) == "unknown_unit"
    assert err(post_json, delivery("D1", "2026-01-31", "WH1", [("A001", "1", "1.00")])) == "period_closed"
    assert err(post_json, receipt("R2", "2025-12-31", "WH1", [("A001", "1", "1.00")])) == "period_closed"
    assert err(post_json, close("C1b", "2026-01")) == "period_closed"
    assert err(post_json, close("C3", "2026-03")) == "invalid_value"
    assert footprint() == before


# -- backdating through counts, closes, invoice differences -------------------------------------------
def test_backdated_receipt_flips_settled_count_gain_into_loss(post_json):
    """Moving, WH1.

    01-05 R1 10 @ 10.00;  01-10 K1 count 12 → gain 2 × 10.00 = 20.00 (Dr 1405 / Cr 1901)
    01-11 S1 settles K1: Dr 1901 20.00 / Cr 5301 20.00
    01-06 R2 (backdated) 5 @ 10.00 → K1's book qty becomes 15: a loss of 3, round(150 × 3 / 15) = 30.00.
    In date order: K1 Dr 1901 30.00 / Cr 1405 30.00; S1 Dr 5711 30.00 / Cr 1901 30.00.
    So adjustments: K1 red Dr 1405 −20 / Cr 1901 −20 + Dr 1901 30 / Cr 1405 30; S1 red Dr 1901 −20 /
    Cr 5301 −20 + Dr 5711 30 / Cr 1901 30. January trial balance: 5301 nets to zero (no row), 5711 debit
    30.00, 1901 debit 30.00 credit 30.00 closing 0, 1405 debit 150.00 credit 30.00 closing 120.00.
    """
    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(count("K1", "2026-01-10", "WH1", [("A001", "12")]))
    post_json({"type": "count_settlement", "ref": "S1", "date": "2026-01-11", "count": "K1"})
    post_json(receipt("R2", "2026-01-06", "WH1", [("A001", "5", "10.00")]))
    assert result("stock_count", "K1") == {"diff": -30000, "value": -3000}
    t = tb("2026-01-01", "2026-01-31")
    assert "5301" not in t
    assert t["5711"] == (0, D("30.00"), 0, D("30.00"))
    assert t["1901"] == (0, D("30.00"), D("30.00"), 0)
    assert t["1405"] == (0, D("150.00"), D("30.00"), D("120.00"))
    adj = [v for v in vouchers_of("count_settlement", "S1") if v[0] == "adjust"]
    assert len(adj) == 1 and adj[0][1] == "2026-01-11"
    assert sorted(adj[0][2]) == sorted([("1901", D("-20.00"), 0), ("5301", 0, D("-20.00")),
                                        ("5711", D("30.00"), 0), ("1901", 0, D("30.00"))])
    from stockbook.stock.revalue import recompute

    assert recompute() == []


def test_monthly_backdated_document_turning_settled_count_into_loss_is_pending_cost(post_json):
    """Monthly: opening 100 kg = 1000.00; K1 (01-10) count 102 → gain 2 at the opening unit 10.00 = 20.00;
    S1 (01-11) settles it. A receipt of 5 backdated to 01-05 makes K1 a loss of 3, whose cost is pending
    until January closes, under a settled count → pending_cost, nothing written."""
    setup_company(post_json, "monthly_average")
    opening_stock(post_json, "WH1", [("A001", "100", "1000.00")])
    post_json(count("K1", "2026-01-10", "WH1", [("A001", "102")]))
    assert result("stock_count", "K1") == {"diff": 20000, "value": 2000}
    post_json({"type": "count_settlement", "ref": "S1", "date": "2026-01-11", "count": "K1"})
    before = footprint()
    assert err(post_json, receipt("R1", "2026-01-05", "WH1", [("A001", "5", "10.00")])) == "pending_cost"
    assert footprint() == before


def test_monthly_close_after_next_month_documents_and_invoice_difference(post_json):
    """Monthly. January: opening 100 kg = 1000.00, R1 (01-05) 50 @ 11.00, D1 (01-10) 30 kg.
    February documents posted before January closes: D2 (02-03) 10 kg, R2 (02-04) 10 @ 12.00,
    I1 (02-05) invoices R1's 50 kg @ 12.00 = 600.00: P 550.00, diff 50.00 → a zero-qty February receipt
    (February's opening qty 120 > 0).
    Close January: unit 1550 / 150; closing 120 kg → 1240.00; D1 = 1550.00 − 1240.00 = 310.00.
    Close February: (1240 + 120 + 50) / (120 + 10) = 1410 / 130; closing 120 → round(1301.538…) = 1301.54;
    D2 = 1410.00 − 1301.54 = 108.46.
    """
    _monthly_base(post_json)
    post_json(delivery("D2", "2026-02-03", "WH1", [("A001", "10", "20.00")]))
    post_json(receipt("R2", "2026-02-04", "WH1", [("A001", "10", "12.00")]))
    post_json(pinv("I1", "2026-02-05", [("R1", 1, "50", "12.00")]))
    assert result("purchase_invoice", "I1") == {"P": 55000, "stock": 5000, "cogs": 0}
    post_json(close("C1", "2026-01"))
    assert result("sales_delivery", "D1") == {"cost": 31000}
    assert result("sales_delivery", "D2") == {"cost": None}
    assert stock("2026-01-31") == {("A001", "WH1"): (120, D("1240.00"), False)}
    post_json(close("C2", "2026-02"))
    assert result("sales_delivery", "D2") == {"cost": 10846}
    assert stock("2026-02-28") == {("A001", "WH1"): (120, D("1301.54"), False)}
    assert stock("2026-02-27") == {("A001", "WH1"): (120, D("1240.00"), True)}  # 120 × the January unit 1550/150
    t = tb("2026-02-01", "2026-02-28")
    assert t["1405"] == (D("1240.00"), D("170.00"), D("108.46"), D("1301.54"))
    assert recon("2026-02-28")[("stock", "1405")]["difference"] == "0.00"
    from stockbook.stock.revalue import recompute

    assert recompute() == []


def test_fifo_invoice_difference_split_over_transferred_layers(post_json):
    """FIFO: R1 WH1 10 @ 10.00; T1 4 → WH2 (layer 4 / 40.00 of R1 at WH2); D1 3 from WH1 (WH1 keeps R1's own
    layer 3 / 30.00). I1 invoices all 10 @ 11.00: P 100.00, diff 10.00; N = 10, R = 3 + 4 = 7:
    share round(10 × 7 / 10) = 7.00: R1's own layer (created first) round(10 × 3 / 10) = 3.00, the WH2 layer
    the rest 4.00; 3.00 to 5401. WH1 3 / 33.00, WH2 4 / 44.00."""
    setup_company(post_json, "fifo")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(transfer("T1", "2026-01-06", "WH1", "WH2", [("A001", "4")]))
    post_json(delivery("D1", "2026-01-07", "WH1", [("A001", "3", "20.00")]))
    post_json(pinv("I1", "2026-01-08", [("R1", 1, "10", "11.00")]))
    assert result("purchase_invoice", "I1") == {"P": 10000, "stock": 700, "cogs": 300}
    assert stock("2026-01-31") == {("A001", "WH1"): (3, D("33.00"), False), ("A001", "WH2"): (4, D("44.00"), False)}


@pytest.mark.parametrize("method", ["moving_average", "fifo"])
def test_sales_return_receives_part_of_delivery_cost_and_follows_backdating(post_json, method):
    """R1 (01-05) 10 @ 10.00; D1 (01-20) 6 → cost 60.00 (both methods); SR1 (01-25) returns 2 of D1:
    round(60 × 2 / 6) = 20.00 back into WH1 (Dr 1405 / Cr 5401), P = round(120 × 2 / 6) = 40.00.
    R0 (01-03, backdated) 10 @ 7.00:
      moving: D1 = round(170 × 6 / 20) = 51.00, SR1 = round(51 × 2 / 6) = 17.00 (both adjusted, red ink)
      fifo:   D1 takes R0's layer first: 6 × 7.00 = 42.00, SR1 = 14.00
    """
    setup_company(post_json, method)
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-20", "WH1", [("A001", "6", "20.00")]))
    post_json(sret("SR1", "2026-01-25", "D1", [(1, "2")]))
    assert result("sales_return", "SR1") == {"P": 4000, "cost": 2000}
    post_json(receipt("R0", "2026-01-03", "WH1", [("A001", "10", "7.00")]))
    d1, sr1 = (5100, 1700) if method == "moving_average" else (4200, 1400)
    assert result("sales_delivery", "D1") == {"cost": d1}
    assert result("sales_return", "SR1") == {"P": 4000, "cost": sr1}
    assert lines_linked("sales_return", "SR1")["1405"] == (D(sr1) / 100, 0)
    assert tb("2026-01-01", "2026-01-31")["5401"] == (0, D(d1) / 100, D(sr1) / 100, D(d1 - sr1) / 100)
    assert recon("2026-01-31")[("stock", "1405")]["difference"] == "0.00"


def test_monthly_close_residue_without_issue_lines(post_json):
    """Monthly, no opening. R1 (01-05) 10 @ 10.00 = 100.00; I1 (01-06) invoices 5 @ 11.00 = 55.00: P 50.00,
    diff 5.00 → zero-qty January receipt (receipts qty 10 > 0); PR1 (01-07) returns the other 5: P 50.00
    (a negative receipt); PR2 … only 5 may be returned (5 invoiced). So: D1 (01-08) delivers the 5 left.
    Close: opening 0 + receipts 5 kg / (100 + 5 − 50) = 55.00 → unit 11.00, closing 0 → 0.00, C = 55.00 all on D1.
    A second item B002: R2 4 @ 2.50 = 10.00, I2 invoices 2 @ 3.00 (diff 1.00 → stock), PR3 returns 2 (P 5.00):
    receipts 2 pcs / 6.00; D2 delivers 2 → 6.00. Then nothing is left and the inventory account is 0."""
    setup_company(post_json, "monthly_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(pinv("I1", "2026-01-06", [("R1", 1, "5", "11.00")]))
    assert result("purchase_invoice", "I1") == {"P": 5000, "stock": 500, "cogs": 0}
    post_json(pret("PR1", "2026-01-07", "R1", [(1, "5")]))
    assert result("purchase_return", "PR1") == {"P": 5000, "value": 5000}
    post_json(delivery("D1", "2026-01-08", "WH1", [("A001", "5", "20.00")]))
    post_json(close("C1", "2026-01"))
    assert result("sales_delivery", "D1") == {"cost": 5500}
    assert stock("2026-01-31") == {}
    assert tb("2026-01-01", "2026-01-31")["1405"][3] == 0


def test_monthly_close_residue_goes_to_5401_when_no_unit_is_left(post_json):
    """Monthly, no opening stock.
    January: R1 (01-05) 5 @ 10.00, D1 (01-10) delivers all 5; close → D1 50.00.
    February: R2 (02-02) 3 @ 10.00; I1 (02-03) invoices R1's 5 @ 11.00: P 50.00, diff 5.00 → February's
    opening qty 0 + receipts up to the invoice 3 > 0 → a zero-qty receipt of 5.00; PR2 (02-04) returns R2's 3
    (P 30.00, a negative receipt). Close February: opening + receipts qty = 0 + 3 − 3 = 0 → closing 0.00 and
    C = 30.00 + 5.00 − 30.00 = 5.00 with no issue line: the close posts Dr 5401 5.00 / Cr 1405 5.00.
    1405 ends at 0: January 50.00 − 50.00, February 30.00 + 5.00 − 30.00 − 5.00."""
    setup_company(post_json, "monthly_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "5", "10.00")]))
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "5", "20.00")]))
    post_json(close("C1", "2026-01"))
    assert result("sales_delivery", "D1") == {"cost": 5000}
    post_json(receipt("R2", "2026-02-02", "WH1", [("A001", "3", "10.00")]))
    post_json(pinv("I1", "2026-02-03", [("R1", 1, "5", "11.00")]))
    assert result("purchase_invoice", "I1") == {"P": 5000, "stock": 500, "cogs": 0}
    post_json(pret("PR2", "2026-02-04", "R2", [(1, "3")]))
    post_json(close("C2", "2026-02"))
    [(_, when, lines)] = vouchers_of("period_close", "C2")
    assert when == "2026-02-28"
    assert sorted(lines) == sorted([("5401", D("5.00"), 0), ("1405", 0, D("5.00"))])
    assert stock("2026-02-28") == {}
    t = tb("2026-02-01", "2026-02-28")
    assert t["1405"] == (0, D("35.00"), D("35.00"), 0)
    r = recon("2026-02-28")
    assert r[("stock", "1405")]["difference"] == "0.00" and r[("grni", "220202")]["difference"] == "0.00"


def test_credit_limit_counts_opening_and_journal_lines_naming_the_customer(post_json):
    """C01 limit 100000.00. Opening 112201 99000.00 naming C01 (Cr 3001). A journal Dr 112201 500.00 naming C01
    / Cr 1002 → 1122 balance 99500.00. D1 @ 500.01 → 100000.01 → credit_limit_exceeded; @ 500.00 accepted."""
    setup_company(post_json, "moving_average")
    post_json({"type": "opening_balance", "date": "2025-12-31", "lines": [
        {"account": "112201", "debit": "99000.00", "customer": "C01"}, {"account": "3001", "credit": "99000.00"}]})
    post_json({"type": "journal", "ref": "J1", "date": "2026-01-02", "lines": [
        {"account": "112201", "debit": "500.00", "customer": "C01"}, {"account": "1002", "credit": "500.00"}]})
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "1.00")]))
    assert err(post_json, delivery("D1", "2026-01-06", "WH1", [("A001", "1", "500.01")])) == "credit_limit_exceeded"
    post_json(delivery("D1", "2026-01-06", "WH1", [("A001", "1", "500.00")]))


def test_unit_conversion_beyond_four_decimals_is_invalid(post_json):
    """An item in kg with g = 0.001 kg: 0.05 g = 0.00005 kg has five decimals after conversion → invalid_value;
    1.5 g = 0.0015 kg is fine. A count in t with a unit cost per t: R1 10 kg @ 10.00; K1 counts 0.012 t at
    10000 per t (10.00 per kg) → gain 2 kg = 20.00."""
    setup_company(post_json, "moving_average")
    post_json({"type": "item", "code": "G004", "name": "金粉", "uom": "kg", "units": {"g": "0.001"}})
    assert err(post_json, receipt("R0", "2026-01-04", "WH1", [("G004", "0.05", "1.00", "g")])) == "invalid_value"
    post_json(receipt("R0", "2026-01-04", "WH1", [("G004", "1.5", "1.00", "g")]))
    assert stock("2026-01-31") == {("G004", "WH1"): (D("0.0015"), D("1.50"), False)}
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json({"type": "stock_count", "ref": "K1", "date": "2026-01-06", "warehouse": "WH1",
               "lines": [{"item": "A001", "counted_qty": "0.012", "uom": "t", "unit_cost": "10000"}]})
    assert result("stock_count", "K1") == {"diff": 20000, "value": 2000}


def test_monthly_item_emptied_in_open_month_is_pending_cost_in_reconcile(post_json):
    """Monthly: opening 100 kg = 1000.00 (1405 opening balance 1000.00); D1 (01-10) delivers all 100 kg.
    On 01-20 January is open: D1's cost is pending, 1405 still shows 1000.00, the stock subledger 0.00
    (no row: qty 0). difference 1000.00 = pending_cost 1000.00 (Σ opening stock + postings of the pending item
    − its stock-balance value 0.00), refs [D1]; unexplained 0.00. Found by test_properties (monthly stream)."""
    setup_company(post_json, "monthly_average")
    opening_stock(post_json, "WH1", [("A001", "100", "1000.00")])
    opening_balance(post_json, "1000.00")
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "100", "20.00")]))
    assert stock("2026-01-20") == {}
    r = recon("2026-01-20")[("stock", "1405")]
    assert (r["gl"], r["subledger"], r["difference"]) == ("1000.00", "0.00", "1000.00")
    assert r["causes"] == [{"cause": "pending_cost", "amount": "1000.00", "refs": ["D1"]}]
    assert r["unexplained"] == "0.00"


def test_page_and_rest_list_the_same_vouchers_of_a_document(post_json, web):
    """A monthly-average delivery's cost is posted by the period close: the delivery's page and its REST view both
    list its own voucher and the close's voucher, in date order (one query: sync.vouchers_of)."""
    from django.urls import reverse

    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document

    setup_company(post_json, "monthly_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-20", "WH1", [("A001", "4", "20.00")]))
    post_json(close("C1", "2026-01"))
    d1, c1 = Document.objects.get(ref="D1"), Document.objects.get(ref="C1")
    own, closing = Voucher.objects.get(document=d1), Voucher.objects.get(document=c1)
    body = web.get("/api/documents/sales_delivery/D1").json()
    assert body["vouchers"] == [str(own), str(closing)]
    page = web.get(reverse("web:document_detail", args=[d1.pk])).content.decode()
    assert page.index(str(own)) < page.index(str(closing))
    assert web.get("/api/documents/purchase_receipt/R1").json()["vouchers"] == [str(Voucher.objects.get(document__ref="R1"))]


def test_recosting_vouchers_show_on_both_documents(post_json, web):
    """A 补单 that re-costs two later deliveries on two dates: two re-costing vouchers owned by the backdated
    receipt, one per date, each line linked to the delivery line it corrects. The receipt's page lists them
    under 此单据引起的成本调整; each delivery's page and its REST view list the voucher that corrects it."""
    from django.urls import reverse

    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document

    setup_company(post_json, "moving_average")
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(delivery("D1", "2026-01-20", "WH1", [("A001", "2", "20.00")]))
    post_json(delivery("D2", "2026-01-21", "WH1", [("A001", "2", "20.00")]))
    post_json(delivery("D3", "2026-01-21", "WH1", [("A001", "2", "20.00")]))
    res = post_json(receipt("R2", "2026-01-10", "WH1", [("A001", "10", "7.00")]))
    r2, d1, d2, d3 = (Document.objects.get(ref=r) for r in ("R2", "D1", "D2", "D3"))
    recost = list(Voucher.objects.filter(kind=Voucher.RECOST).order_by("date"))
    assert [(v.document_id, v.date.isoformat()) for v in recost] == [(r2.pk, "2026-01-20"), (r2.pk, "2026-01-21")]
    assert {v.display_number for v in recost} <= {str(v) for v in res.vouchers}
    assert {ln.document_id for ln in recost[1].lines.all()} == {d2.pk, d3.pk}  # one voucher, lines not netted
    assert recost[1].lines.count() == 4
    page = web.get(reverse("web:document_detail", args=[r2.pk])).content.decode()
    assert "此单据引起的成本调整" in page and all(v.display_number in page for v in recost)
    page = web.get(reverse("web:document_detail", args=[d2.pk])).content.decode()
    assert recost[1].display_number in page and recost[0].display_number not in page and "R2" in page
    body = web.get("/api/documents/sales_delivery/D1").json()
    assert body["vouchers"][-1] == recost[0].display_number and recost[1].display_number not in body["vouchers"]
    # the receipt's own REST view lists its own voucher only
    own = Voucher.objects.get(document=r2, kind="normal")
    assert web.get("/api/documents/purchase_receipt/R2").json()["vouchers"] == [str(own)]
    # numbered when the posting ends, the receipt's own voucher first, gapless; the result names the stored numbers
    assert [v.number for v in (own, *recost)] == [5, 6, 7] and [str(v) for v in res.vouchers] == [str(own), *(str(v) for v in recost)]
    # the correction lines are marked as a re-costing's (VoucherLine.recost: the document index leads with it)
    from stockbook.ledger.models import VoucherLine

    assert set(VoucherLine.objects.filter(recost=True).values_list("voucher_id", flat=True)) == {v.pk for v in recost}
    assert not VoucherLine.objects.filter(recost=False, voucher__kind=Voucher.RECOST).exists()
