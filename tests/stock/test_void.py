"""作废 by reversal (红字): vouchers reversed by a red-ink voucher, moves kept with red-ink counter-moves,
later issues re-costed and corrected, everything refused that would break the books.

Numbers (moving average, item A001 in WH1):
  R1 10 kg @ 10.00 = 100.00; R2 10 kg @ 20.00 = 200.00 → 20 kg, 300.00 (15.00/kg)
  D1 5 kg: cost 75.00 → 15 kg, 225.00
Voiding R2 re-costs D1 as if R2 never was: 5 kg @ 10.00 = 50.00 (correction −25.00 on 5401/1405),
stock 5 kg, 50.00."""
import pytest

from stockbook.core.errors import DocError


def _doc(ref):
    from stockbook.posting.models import Document

    return Document.objects.get(ref=ref)


@pytest.fixture
def flow(company, post_json):
    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "10.00"}]})
    post_json({"type": "purchase_receipt", "ref": "R2", "date": "2026-01-06", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "20.00"}]})
    post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-10", "customer": "C01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "5", "unit_price": "30.00"}]})


def _balance(code):
    from django.db.models import Sum

    from stockbook.ledger.models import VoucherLine

    s = VoucherLine.objects.filter(account__code__startswith=code).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (s["d"] or 0) - (s["c"] or 0)


def test_void_receipt_recosts_later_delivery(flow):
    from datetime import date

    from stockbook.posting.void import void_document
    from stockbook.reports.stock_balance import stock_balance
    from stockbook.stock.models import StockMove
    from stockbook.stock.revalue import recompute

    res = void_document(_doc("R2").pk, reason="供应商发错货")
    r2 = _doc("R2")
    assert r2.status == "void"
    assert [v.kind for v in res.vouchers] == ["adjust", "recost"]  # R2 reversed, D1 corrected (a re-costing voucher R2 owns)
    rows = stock_balance(date(2026, 1, 31)).data["rows"]
    assert rows == [{"item": "A001", "warehouse": "WH1", "qty": "5", "value": "50.00", "pending": False}]
    assert _balance("1405") == 5000 and _balance("5401") == 5000 and _balance("2202") == -10000
    # the receipt's move is still there, with its red-ink counter-move
    assert sorted(StockMove.objects.filter(document=r2).values_list("qty", "value")) == [(-100000, -20000), (100000, 20000)]
    assert recompute() == []
    from stockbook.reports.reconcile import reconcile

    rows = reconcile(date(2026, 1, 31)).data["rows"]
    assert all(r["unexplained"] == "0.00" for r in rows), rows


def test_void_refused_when_it_would_starve_a_later_issue(company, post_json):
    from stockbook.ledger.models import Voucher
    from stockbook.posting.void import void_document

    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "10.00"}]})
    post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-10", "customer": "C01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "5", "unit_price": "30.00"}]})
    before = Voucher.objects.count()
    with pytest.raises(DocError) as e:
        void_document(_doc("R1").pk, reason="错录")
    assert e.value.code == "negative_stock"
    assert _doc("R1").status == "posted" and Voucher.objects.count() == before


def test_void_refused_while_referenced_and_in_closed_month(flow, post_json):
    from stockbook.posting.void import void_document

    post_json({"type": "sales_invoice", "ref": "SI1", "date": "2026-01-12", "customer": "C01",
               "lines": [{"delivery": "D1", "line": 1, "qty": "5", "unit_price": "30.00", "tax_rate": "0.13"}]})
    with pytest.raises(DocError) as e:
        void_document(_doc("D1").pk, reason="x")
    assert e.value.code == "invalid_value" and "SI1" in e.value.message
    with pytest.raises(DocError) as e:
        void_document(_doc("R1").pk, reason="")
    assert e.value.code == "invalid_value"
    post_json({"type": "period_close", "ref": "CL1", "date": "2026-01-31", "period": "2026-01"})
    with pytest.raises(DocError) as e:
        void_document(_doc("SI1").pk, reason="x")
    assert e.value.code == "period_closed"


def test_void_journal_and_twice(company, post_json):
    from stockbook.posting.void import void_document

    post_json({"type": "journal", "ref": "J1", "date": "2026-01-20", "lines": [
        {"account": "1001", "debit": "10.00"}, {"account": "1002", "credit": "10.00"}]})
    void_document(_doc("J1").pk, reason="重复录入")
    assert _balance("1001") == 0 and _balance("1002") == 0
    with pytest.raises(DocError) as e:
        void_document(_doc("J1").pk, reason="again")
    assert e.value.code == "invalid_value"


def test_void_delivery_reverses_its_recosting_lines_too(flow, post_json):
    """R0 (01-02, backdated) re-costs D1 through a re-costing voucher R0 owns. Voiding D1 reverses what its
    own voucher and that re-costing line say — every voucher line linked to D1 then nets to zero — and leaves
    R0's re-costing voucher as it is (never edited)."""
    from django.db.models import Sum

    from stockbook.ledger.models import Voucher, VoucherLine
    from stockbook.posting.sync import posted
    from stockbook.posting.void import void_document
    from stockbook.stock.revalue import recompute

    post_json({"type": "purchase_receipt", "ref": "R0", "date": "2026-01-02", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "4.00"}]})  # D1: 5 × 340/30 = 56.67
    [rc] = Voucher.objects.filter(kind=Voucher.RECOST, document=_doc("R0"))
    assert set(rc.lines.values_list("document_id", flat=True)) == {_doc("D1").pk}
    before = list(rc.lines.values_list("account_id", "debit", "credit"))
    res = void_document(_doc("D1").pk, reason="客户拒收")
    assert [v.kind for v in res.vouchers] == ["adjust"]
    per_account = VoucherLine.objects.filter(document=_doc("D1")).values("account_id").annotate(d=Sum("debit"), c=Sum("credit"))
    assert all(r["d"] - r["c"] == 0 for r in per_account), list(per_account)
    assert all(d == c == 0 for d, c, _ in posted([_doc("D1").pk])[_doc("D1").pk].values())
    assert list(rc.lines.values_list("account_id", "debit", "credit")) == before
    assert _balance("1405") == 34000 and _balance("5401") == 0
    assert recompute() == []
