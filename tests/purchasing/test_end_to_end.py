"""THE purchase-to-pay flow, each step checked against stock, AP/GRNI and the vouchers.

Company ACME (小企业会计准则, moving average), A001 铜线 in kg, 13 % VAT. Workflow "purchase_order" from 1,000.00
(tax included): level 1 财务主管, level 2 管理层.

1. PO CGDD-202601-0001 (buyer, 01-05): 100 kg × 10.00 = 1,000.00 + tax 130.00 = 1,130.00 → submit → 待审批 (level 1);
   fin1 approves → level 2; boss1 approves → 已审批. The buyer may not approve (segregation of duties).
2. Receipt R1 (01-10) against the PO: 60 kg at the PO price 10.00 → stock 60 kg / 600.00;
   voucher Dr 1405 600.00 / Cr 220202 (GRNI) 600.00; PO 部分到货, 60 received.
3. QC of R1 (keeper, 01-11): 55 accepted, 5 rejected (破损) → purchase_return QC-R1 of 5 kg posted at once:
   Dr 220202 50.00 / Cr 1405 50.00 → stock 55 kg / 550.00, GRNI 550.00 (credit); PO received counts 55 (5 open again).
4. Invoice PI-BAD (01-15) for R1 line 1, 55 kg × 10.50 → three_way_mismatch (PO 10.00 vs invoice 10.50): nothing written.
5. Invoice PI1 (01-15): 55 kg × 10.00, tax 13 % → net 550.00, tax 71.50: Dr 220202 550.00, Dr 222101 71.50 / Cr 220201 621.50.
   GRNI 0.00, AP (220201) 621.50 credit; ap-aging as of 01-31: S01 621.50 in 0-30. Stock unchanged (55 kg / 550.00).
6. Payment PAY1 (01-20) 300.00 from 1002 allocated to PI1: Dr 220201 300.00 / Cr 1002 300.00 → AP 321.50.
7. Supplier statement S01 for January: PI1 credit 621.50 → 621.50, PAY1 debit 300.00 → 321.50 = closing.
8. Receipt R2 (01-25) of the remaining 45 kg (the rejected 5 re-delivered included) → PO 已到货; 6 kg more is refused
   — an order once 已到货 takes no more receipts (invalid_status), nothing written. R2: Dr 1405 450.00 / Cr 220202
   450.00 → stock 100 kg / 1,000.00, GRNI 450.00."""
from datetime import date

import pytest

from stockbook.core.errors import DocError
from stockbook.posting.models import Document
from stockbook.purchasing import services
from stockbook.purchasing.models import PurchaseOrder as PO
from stockbook.reports.registry import build_report

from .conftest import balance, counts, po_obj, pw, stock, voucher_lines

pytestmark = pytest.mark.django_db


def test_purchase_to_pay(people, make_workflow, post_json):
    from stockbook.approvals import service as approvals

    make_workflow([{"name": "财务主管审批", "roles": ["财务主管"]}, {"name": "管理层审批", "roles": ["管理层"]}],
                  doc_type="purchase_order", min_amount=100_000)
    buyer, fin1, boss1, keeper = people["buyer"], people["fin1"], people["boss1"], people["keeper"]

    # 1. order and two-level approval
    po = services.create_order(po_obj(), user=buyer)
    assert po.number == "CGDD-202601-0001" and (po.amount, po.tax, po.total) == (100_000, 13_000, 113_000)
    po = services.submit(po, user=buyer)
    assert po.status == PO.PENDING and po.approval.current_level == 1
    with pytest.raises(DocError):
        approvals.approve(po.approval, buyer, pw(buyer))
    approvals.approve(po.approval, fin1, pw(fin1))
    po.refresh_from_db()
    assert po.status == PO.PENDING and po.approval.current_level == 2
    approvals.approve(po.approval, boss1, pw(boss1))
    po.refresh_from_db()
    assert po.status == PO.APPROVED and po.approved_at is not None
    # an order touches neither stock nor ledger
    assert stock() == ("0", "0.00") and balance("220202") == balance("220201") == balance("1405") == 0

    # 2. receipt against the PO
    res = services.receive(po, [{"order_line": 1, "qty": "60"}], ref="R1", day=date(2026, 1, 10), user=buyer)
    r1 = res.document
    assert res.posted and voucher_lines(r1) == [("1405", 60_000, 0), ("220202", 0, 60_000)]
    assert stock() == ("60", "600.00")
    po.refresh_from_db()
    assert po.status == PO.PARTIAL and services.received_by_line(order_ids=[po.pk]) == {po.lines.get().pk: 600_000}

    # 3. QC: 5 kg rejected → return posted at once
    insp = services.inspect("R1", [{"line": 1, "accepted": "55", "rejected": "5", "reason": "破损"}], user=keeper,
                            day=date(2026, 1, 11))
    ret = insp.return_document
    assert ret.type == "purchase_return" and ret.ref == "QC-R1"
    assert voucher_lines(ret) == [("1405", 0, 5_000), ("220202", 5_000, 0)]
    assert stock() == ("55", "550.00") and balance("220202") == -55_000
    po.refresh_from_db()
    assert po.status == PO.PARTIAL and services.open_lines(po)[0]["open_base"] == 450_000

    # 4. wrong price blocked by the three-way match, nothing written
    before = counts()
    bad = {"type": "purchase_invoice", "ref": "PI-BAD", "date": "2026-01-15", "supplier": "S01",
           "lines": [{"receipt": "R1", "line": 1, "qty": "55", "unit_price": "10.50", "tax_rate": "0.13"}]}
    with pytest.raises(DocError) as e:
        post_json(bad, user=fin1)
    assert e.value.code == "three_way_mismatch" and "10.00" in e.value.message and "10.50" in e.value.message
    assert counts() == before and not Document.objects.filter(ref="PI-BAD").exists()

    # 5. the corrected invoice
    inv = post_json(dict(bad, ref="PI1", lines=[dict(bad["lines"][0], unit_price="10.00")]), user=fin1).document
    assert voucher_lines(inv) == [("220201", 0, 62_150), ("220202", 55_000, 0), ("222101", 7_150, 0)]
    assert balance("220202") == 0 and balance("220201") == -62_150 and stock() == ("55", "550.00")
    aging = build_report("ap-aging", {"as_of": date(2026, 1, 31)}).data
    assert [(r["supplier"], r["total"], r["0-30"]) for r in aging["rows"]] == [("S01", "621.50", "621.50")]

    # 6. payment with allocation
    pay = post_json({"type": "supplier_payment", "ref": "PAY1", "date": "2026-01-20", "supplier": "S01", "account": "1002",
                     "amount": "300.00", "allocations": [{"invoice": "PI1", "amount": "300.00"}]}).document
    assert voucher_lines(pay) == [("1002", 0, 30_000), ("220201", 30_000, 0)]
    assert balance("220201") == -32_150 and balance("1002") == -30_000 and balance("220202") == 0
    assert stock() == ("55", "550.00") and balance("1405") == 55_000

    # 7. supplier statement
    st = build_report("statement", {"supplier": "S01", "start": date(2026, 1, 1), "end": date(2026, 1, 31)}).data
    assert [(r["ref"], r["debit"], r["credit"], r["balance"]) for r in st["rows"]] == [
        ("PI1", "0.00", "621.50", "621.50"), ("PAY1", "300.00", "0.00", "321.50")]
    assert st["closing"] == "321.50"

    # the match page's data: one line, matched
    from stockbook.purchasing.match import match_json

    m = match_json(po)
    assert m["lines"][0]["match"] == "匹配" and (m["lines"][0]["accepted"], m["lines"][0]["invoiced"]) == ("55", "55")

    # 8. the rest re-delivered; more is over_receipt
    services.receive(po, [{"order_line": 1, "qty": "45"}], ref="R2", day=date(2026, 1, 25), user=buyer)
    po.refresh_from_db()
    assert po.status == PO.RECEIVED and stock() == ("100", "1000.00")
    assert balance("220202") == -45_000 and balance("1405") == 100_000  # R2 not invoiced yet: GRNI 450.00
    before = counts()
    with pytest.raises(DocError) as e:
        post_json({"type": "purchase_receipt", "ref": "R3", "date": "2026-01-26", "supplier": "S01", "warehouse": "WH1",
                   "lines": [{"item": "A001", "qty": "6", "unit_price": "10", "order": po.number, "order_line": 1}]})
    assert e.value.code == "invalid_status"  # 已到货 receives no more
    assert counts() == before
