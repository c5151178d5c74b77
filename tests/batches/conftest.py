"""A small company with batch-managed A001 (kg, shelf life 180 days) and serial-managed B002 (pcs)."""
import pytest

from tests.stock.helpers import setup_company


@pytest.fixture
def bco(post_json):
    setup_company(post_json)
    from stockbook.batches.models import ItemPolicy
    from stockbook.masterdata.models import Item

    ItemPolicy.objects.create(item=Item.objects.get(code="A001"), batch_managed=True, shelf_life_days=180, near_expiry_days=30)
    ItemPolicy.objects.create(item=Item.objects.get(code="B002"), serial_managed=True)
    return post_json


def rcv(ref, day, wh, lines, supplier="S01"):
    """lines: (item, qty, price, batch, expiry[, extra dict])"""
    out = []
    for ln in lines:
        i, q, p, b, e, *extra = ln
        row = {"item": i, "qty": q, "unit_price": p}
        if b:
            row["batch"] = b
        if e:
            row["expiry"] = e
        if extra:
            row.update(extra[0])
        out.append(row)
    return {"type": "purchase_receipt", "ref": ref, "date": day, "supplier": supplier, "warehouse": wh, "lines": out}


def dlv(ref, day, wh, lines, customer="C01"):
    """lines: (item, qty, price, batch or None[, extra])"""
    out = []
    for ln in lines:
        i, q, p, b, *extra = ln
        row = {"item": i, "qty": q, "unit_price": p}
        if b:
            row["batch"] = b
        if extra:
            row.update(extra[0])
        out.append(row)
    return {"type": "sales_delivery", "ref": ref, "date": day, "customer": customer, "warehouse": wh, "lines": out}


def balances(item="A001"):
    from stockbook.batches.models import BatchBalance

    return {(b.warehouse.code, b.batch.code): b.qty / 10000 for b in
            BatchBalance.objects.filter(item__code=item).select_related("warehouse", "batch") if b.qty}


def moves_of(doc_type, ref):
    from stockbook.batches.models import BatchMove

    return [(m.line, m.batch.code, m.qty / 10000) for m in
            BatchMove.objects.filter(document__type=doc_type, document__ref=ref).select_related("batch").order_by("line", "sub")]


def written(doc_type, ref) -> bool:
    from stockbook.posting.models import Document

    return Document.objects.filter(type=doc_type, ref=ref).exists()
