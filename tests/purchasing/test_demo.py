"""demo.load: back-filled orders linked to historical receipts, live flows in the open month, idempotent."""
import io

import pytest

from stockbook.purchasing import demo
from stockbook.purchasing.models import PurchaseOrder as PO
from stockbook.purchasing.models import ReceiptLink, Requisition

pytestmark = pytest.mark.django_db


def test_demo_load_twice(company, people, post_json, monkeypatch):
    monkeypatch.setattr("stockbook.demo.data.TODAY", "2026-03-20")
    for n, (sup, item, price) in enumerate([("S01", "A001", "10.00"), ("S02", "B002", "7.50"), ("S01", "B002", "8"),
                                            ("S02", "A001", "9.8"), ("S01", "A001", "10.2"), ("S02", "B002", "7.9")], 1):
        post_json({"type": "purchase_receipt", "ref": f"H{n}", "date": f"2026-01-{n + 10:02d}", "supplier": sup, "warehouse": "WH1",
                   "lines": [{"item": item, "qty": "100", "unit_price": price}]}, source="demo")
    post_json({"type": "purchase_return", "ref": "HR1", "date": "2026-01-20", "receipt": "H1", "lines": [{"line": 1, "qty": "5"}]},
              source="demo")
    out = io.StringIO()
    lines = demo.load(out)
    assert PO.objects.filter(source="demo-backfill").count() >= 3, lines
    assert ReceiptLink.objects.count() >= 4
    h1 = PO.objects.get(memo__contains="H1")
    assert h1.status == PO.CLOSED and h1.total == 113_000
    assert any("等待到货" in ln for ln in lines) and any("待审批" in ln for ln in lines) and any("质检不合格" in ln for ln in lines)
    assert Requisition.objects.get().status == Requisition.ORDERED
    counts = (PO.objects.count(), ReceiptLink.objects.count())
    again = demo.load(io.StringIO())
    assert "本次 0 张" in again[0] and "未重复生成" in again[1]
    assert (PO.objects.count(), ReceiptLink.objects.count()) == counts
    statuses = set(PO.objects.values_list("status", flat=True))
    assert {PO.DRAFT, PO.APPROVED, PO.PENDING, PO.PARTIAL, PO.CLOSED} <= statuses
