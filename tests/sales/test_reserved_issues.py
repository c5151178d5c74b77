"""Reservations hold against every issue for another purpose (docs/sales.md): a transfer out of the warehouse
or a scrap may not take stock that sales orders reserved (reserved_by_other, on the offending line, nothing
written); a transfer into the warehouse, another warehouse, or a stock count are not refused; the check costs
one query for documents whose items nobody reserved."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stockbook.core.errors import DocError
from stockbook.sales import service
from stockbook.sales.hooks import after_issue

from .conftest import counts, so

pytestmark = pytest.mark.django_db


@pytest.fixture
def reserved(shop):
    """100 kg A001 at WH1, 80 kg reserved by a confirmed order; 50 pcs B002 free."""
    o = service.create_order(so([{"item": "A001", "qty": "80", "list_price": "20"}]))
    service.confirm(o)
    return o


def transfer(ref, lines, src="WH1", dst="WH2", date="2026-01-12"):
    return {"type": "transfer", "ref": ref, "date": date, "from": src, "to": dst,
            "lines": [dict(item=i, qty=q, **({"uom": u[0]} if u else {})) for i, q, *u in lines]}


def scrap(ref, lines, wh="WH1", date="2026-01-12"):
    return {"type": "scrap", "ref": ref, "date": date, "warehouse": wh, "reason": "破损",
            "lines": [dict(item=i, qty=q, **({"uom": u[0]} if u else {})) for i, q, *u in lines]}


@pytest.mark.parametrize("make", [transfer, scrap])
def test_issue_may_not_take_reserved_stock(reserved, post_json, make):
    before = counts()
    with pytest.raises(DocError) as e:
        post_json(make("X-1", [("B002", "1"), ("A001", "21")]))
    assert (e.value.code, e.value.line, e.value.field) == ("reserved_by_other", 2, "qty")
    assert "A001" in e.value.message and "79" in e.value.message and "80" in e.value.message
    assert counts() == before
    # in another unit: 0.021 t = 21 kg, refused the same way
    with pytest.raises(DocError) as e:
        post_json(make("X-1", [("A001", "0.021", "t")]))
    assert e.value.code == "reserved_by_other" and counts() == before
    # two lines of the same item that together take too much: the first line names it
    with pytest.raises(DocError) as e:
        post_json(make("X-1", [("A001", "10"), ("B002", "1"), ("A001", "11")]))
    assert (e.value.code, e.value.line) == ("reserved_by_other", 1) and counts() == before
    # what is free may go
    assert post_json(make("X-1", [("A001", "20"), ("B002", "50")])).posted
    with pytest.raises(DocError) as e:
        post_json(make("X-2", [("A001", "0.0001")]))
    assert e.value.code == "reserved_by_other"


def test_once_released_it_may_go(reserved, post_json):
    service.cancel(reserved)
    assert post_json(scrap("BS-1", [("A001", "30")])).posted
    assert post_json(transfer("DB-1", [("A001", "70")])).posted


def test_not_refused(reserved, post_json):
    post_json({"type": "purchase_receipt", "ref": "R2", "date": "2026-01-11", "supplier": "S01", "warehouse": "WH2",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "10"}]})
    # out of a warehouse nobody reserved in, into the reserving one; an item nobody reserved
    assert post_json(transfer("DB-1", [("A001", "10")], src="WH2", dst="WH1")).posted
    assert post_json(scrap("BS-1", [("B002", "50")])).posted
    # now 110 kg at WH1, 80 reserved: 30 may leave
    assert post_json(transfer("DB-2", [("A001", "30")])).posted
    # a count states the truth: it may find less than is reserved (on hand 80 kg, reserved 80)
    assert post_json({"type": "stock_count", "ref": "PD-1", "date": "2026-01-13", "warehouse": "WH1",
                      "lines": [{"item": "A001", "counted_qty": "50"}]}).posted
    # after which nothing reserved may leave for another purpose
    with pytest.raises(DocError) as e:
        post_json(scrap("BS-2", [("A001", "1")], date="2026-01-14"))
    assert e.value.code == "reserved_by_other"


def test_hook_is_cheap(shop):
    """Nothing reserved: one query for the document's items (PostgreSQL also locks the item rows)."""
    from types import SimpleNamespace

    from stockbook.masterdata.models import Item, Warehouse

    a = Item.objects.get(code="A001")
    books = SimpleNamespace(item=lambda c: a if c == "A001" else None)
    ctx = SimpleNamespace(obj={"lines": [{"item": "A001", "qty": "1"}] * 50}, books=books)
    doc = SimpleNamespace(type="transfer", warehouse_id=Warehouse.objects.get(code="WH1").pk)
    with CaptureQueriesContext(connection) as q:
        after_issue(ctx, doc, [])
    assert len(q) == (2 if connection.vendor == "postgresql" else 1)
    ctx.obj = {"lines": "bad"}
    with CaptureQueriesContext(connection) as q:
        after_issue(ctx, doc, [])
    assert len(q) == 0
