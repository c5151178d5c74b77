"""THE order-to-cash flow, every step checking stock, AR (1122) and the vouchers.

C01 has a credit limit of 1,000.00 and owes nothing. A001 (kg, 13 %) is batch-managed: R1 (01-05) brings
50 kg of batch B-LATE (expiry 2026-12-31) at 10.00, R2 (01-06) 50 kg of B-EARLY (expiry 2026-06-30) at 12.00
→ moving average 100 kg, 1,100.00, 11.00/kg.

1. SO 80 kg at 15.00 = 1,200.00 net + 156.00 tax = 1,356.00 gross; 0 + 0 + 1,356.00 > 1,000.00 →
   credit_limit_exceeded, nothing written (still 草稿, no reservation).
2. The seller asks for an override (1,356.00 exposure); the seller may not approve it; the finance chief
   does → the order is 已确认 with 80 kg reserved, override 1,356.00 recorded.
3. Delivery (FEFO): B-EARLY 50 kg first (750.00), then B-LATE 30 kg (450.00); the contract's credit check
   (0 + 1,200.00 > 1,000.00) is admitted by the override. Voucher: Dr 5401 880.00 (80 × 11.00) / Cr 1405
   880.00; Dr 112202 1,200.00 / Cr 5001 1,200.00. Stock 20 kg 220.00; batches B-EARLY 0, B-LATE 20. AR 1,200.00.
4. Sales invoice from the order's deliveries: 1,200.00 + 156.00 VAT: Dr 112201 1,356.00 / Cr 112202 1,200.00 /
   Cr 22210102 (销项) 156.00. AR 1,356.00.
5. Customer receipt 1,000.00 allocated to the invoice: Dr 1002 1,000.00 / Cr 112201 1,000.00. AR 356.00.
6. ar-aging as of 2026-01-31: C01 356.00, all 0-30."""
from datetime import date

import pytest

from stockbook.core.errors import DocError
from stockbook.sales import availability, delivery, service
from stockbook.sales.models import Reservation, SalesOrder
from tests.roles import role_user
from tests.stock.helpers import receipt, setup_company

PW = "pw-role-1"


def ar(code="C01") -> int:
    from stockbook.masterdata.models import Customer

    return service.ar_balance(Customer.objects.get(code=code))


def vlines(ref) -> list[tuple[str, int, int]]:
    from stockbook.ledger.models import VoucherLine

    rows = VoucherLine.objects.filter(voucher__document__ref=ref).select_related("account")
    out: dict = {}
    for r in rows:
        d, c = out.get(r.account.code, (0, 0))
        out[r.account.code] = (d + r.debit, c + r.credit)
    return sorted((k, d, c) for k, (d, c) in out.items())


def stock_a001():
    from stockbook.masterdata.models import Item, Warehouse

    a, wh = Item.objects.get(code="A001").pk, Warehouse.objects.get(code="WH1").pk
    return availability.on_hand([a], [wh]).get((a, wh), 0), availability.reserved([a], [wh]).get((a, wh), 0)


def test_order_to_cash(post_json):
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import approve
    from stockbook.batches.models import BatchBalance, ItemPolicy
    from stockbook.masterdata.models import Item
    from stockbook.reports.registry import build_report

    setup_company(post_json, credit_limit="1000.00")
    ItemPolicy.objects.create(item=Item.objects.get(code="A001"), batch_managed=True)
    r1 = receipt("R1", "2026-01-05", "WH1", [("A001", "50", "10.00")])
    r1["lines"][0].update(batch="B-LATE", expiry="2026-12-31")
    r2 = receipt("R2", "2026-01-06", "WH1", [("A001", "50", "12.00")])
    r2["lines"][0].update(batch="B-EARLY", expiry="2026-06-30")
    post_json(r1)
    post_json(r2)
    seller = role_user("seller", "销售")
    chief = role_user("chief", "财务主管")
    clerk = role_user("cashier", "财务")

    # 1. over the credit limit
    o = service.create_order({"customer": "C01", "warehouse": "WH1", "date": "2026-01-08",
                              "lines": [{"item": "A001", "qty": "80", "list_price": "15.00"}]}, seller)
    assert (o.net_total, o.tax_total) == (120000, 15600)
    with pytest.raises(DocError) as e:
        service.confirm(o, seller)
    assert e.value.code == "credit_limit_exceeded"
    o.refresh_from_db()
    assert o.status == SalesOrder.DRAFT and Reservation.objects.count() == 0 and stock_a001() == (1000000, 0)

    # 2. override requested by the seller, approved by someone else
    req = service.request_override(o, seller, "老客户，月底回款")
    assert (req.kind, req.status, req.amount) == (ApprovalRequest.KIND_CREDIT, ApprovalRequest.PENDING, 135600)
    with pytest.raises(DocError) as e:
        approve(req, seller, PW)
    assert e.value.code in ("segregation_of_duties", "not_approver", "not_allowed")
    approve(req, chief, PW)
    req.refresh_from_db()
    o.refresh_from_db()
    assert req.status == ApprovalRequest.APPROVED, (req.error_code, req.error_message)
    assert (o.status, o.override_amount) == (SalesOrder.CONFIRMED, 135600)
    assert stock_a001() == (1000000, 800000)

    # 3. FEFO delivery
    res = delivery.deliver(o, on=date(2026, 1, 10), ref="XSCK-1", user=seller)
    assert res.posted
    lines = list(res.document.lines.order_by("line_no").values_list("qty_base", "amount"))
    assert lines == [(500000, 75000), (300000, 45000)]
    from stockbook.batches.models import Batch  # noqa: F401

    bal = {b.batch.code: b.qty for b in BatchBalance.objects.select_related("batch")}
    assert bal == {"B-EARLY": 0, "B-LATE": 200000}
    assert vlines("XSCK-1") == [("112202", 120000, 0), ("1405", 0, 88000), ("5001", 0, 120000), ("5401", 88000, 0)]
    assert stock_a001() == (200000, 0)
    assert ar() == 120000
    o.refresh_from_db()
    assert o.status == SalesOrder.DELIVERED

    # 4. invoice from the deliveries
    rows = delivery.uninvoiced(o)
    assert [(r["delivery"], r["line"], r["qty_base"]) for r in rows] == [("XSCK-1", 1, 500000), ("XSCK-1", 2, 300000)]
    inv = delivery.invoice(o, on=date(2026, 1, 12), ref="XSFP-1", user=clerk)
    assert inv.posted
    v = dict((a, (d, c)) for a, d, c in vlines("XSFP-1"))
    assert v["112201"] == (135600, 0) and v["112202"] == (0, 120000)
    assert sum(c for a, (d, c) in v.items() if a.startswith("2221")) == 15600
    assert ar() == 135600
    assert delivery.uninvoiced(o) == []

    # 5. partial collection
    rc = delivery.collect(o, "1000.00", on=date(2026, 1, 20), ref="SK-1", user=clerk)
    assert rc.posted
    assert vlines("SK-1") == [("1002", 100000, 0), ("112201", 0, 100000)]
    assert ar() == 35600
    docs = delivery.order_documents(o)
    assert [d.ref for d in docs["deliveries"]] == ["XSCK-1"] and [d.ref for d in docs["invoices"]] == ["XSFP-1"]
    assert [d.ref for d in docs["receipts"]] == ["SK-1"]

    # 6. aging shows the rest
    got = build_report("ar-aging", {"as_of": date(2026, 1, 31)}).data
    assert got["rows"] == [{"customer": "C01", "total": "356.00", "0-30": "356.00", "31-60": "0.00", "61-90": "0.00",
                            "91-180": "0.00", "181+": "0.00"}]
