"""demo.load: back-filled orders linked to historical deliveries, live flows in the open month, idempotent."""
import io

from stockbook.sales import demo
from stockbook.sales.models import DeliveryLink, PriceRule, Quotation, Reservation, SalesOrder


def test_demo_load_twice(shop, monkeypatch):
    from django.contrib.auth.models import User

    from stockbook.approvals.models import ApprovalRequest
    from stockbook.posting.service import post
    from tests.roles import role_user

    monkeypatch.setattr("stockbook.demo.data.TODAY", "2026-03-20")
    role_user("seller", "销售")
    post({"type": "customer", "code": "C03", "name": "客户三", "credit_limit": "100.00"})
    for n in range(1, 10):
        post({"type": "sales_delivery", "ref": f"H{n}", "date": f"2026-01-{n + 10:02d}", "customer": "C02", "warehouse": "WH1",
              "lines": [{"item": "A001", "qty": "1", "unit_price": "15.00"}, {"item": "B002", "qty": "1", "unit_price": "25.00"}]},
             source="demo")
    lines = demo.load(io.StringIO())
    assert SalesOrder.objects.filter(memo__startswith=demo.BACKFILL).count() >= 1, lines
    back = SalesOrder.objects.filter(memo__startswith=demo.BACKFILL).first()
    assert back.status == SalesOrder.DELIVERED and back.net_total == 4000 and DeliveryLink.objects.filter(order=back).count() == 2
    assert Quotation.objects.get().status == Quotation.SENT
    assert PriceRule.objects.count() == 2
    assert Reservation.objects.filter(qty_base__gt=0).exists()
    statuses = set(SalesOrder.objects.values_list("status", flat=True))
    assert {SalesOrder.CONFIRMED, SalesOrder.PARTIAL, SalesOrder.DRAFT, SalesOrder.DELIVERED} <= statuses, (statuses, lines)
    assert SalesOrder.objects.filter(lines__gift=True, status=SalesOrder.CONFIRMED).exists()
    req = ApprovalRequest.objects.get(kind=ApprovalRequest.KIND_CREDIT)
    assert req.status == ApprovalRequest.PENDING and req.maker == User.objects.get(username="seller")
    counts = (SalesOrder.objects.count(), DeliveryLink.objects.count(), Quotation.objects.count(), ApprovalRequest.objects.count())
    again = demo.load(io.StringIO())
    assert "本次 0 张" in again[0] and "未重复生成" in again[1]
    assert (SalesOrder.objects.count(), DeliveryLink.objects.count(), Quotation.objects.count(), ApprovalRequest.objects.count()) == counts
