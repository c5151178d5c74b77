from decimal import Decimal

import pytest

from stockbook.core.errors import DocError
from stockbook.sales import availability, delivery, service
from stockbook.sales.models import SalesOrder

from .conftest import counts, so


def _ids():
    from stockbook.masterdata.models import Item, Warehouse

    return Item.objects.get(code="A001").pk, Warehouse.objects.get(code="WH1").pk


def test_confirm_reserves_and_availability(shop):
    a, wh = _ids()
    o = service.create_order(so([{"item": "A001", "qty": "30", "list_price": "20"}]))
    assert o.no.startswith("XSDD-202601-") and o.status == SalesOrder.DRAFT
    assert availability.available([a], [wh])[(a, wh)] == 100 * 10000
    service.confirm(o)
    assert availability.on_hand([a], [wh])[(a, wh)] == 100 * 10000
    assert availability.reserved([a], [wh])[(a, wh)] == 30 * 10000
    assert availability.available([a], [wh])[(a, wh)] == 70 * 10000


def test_insufficient_available_writes_nothing(shop):
    o1 = service.create_order(so([{"item": "A001", "qty": "80", "list_price": "20"}]))
    service.confirm(o1)
    o2 = service.create_order(so([{"item": "A001", "qty": "21", "list_price": "20"}]))
    before = counts()
    with pytest.raises(DocError) as e:
        service.confirm(o2)
    assert e.value.code == "insufficient_available" and "21" in e.value.message and "20" in e.value.message
    assert counts() == before
    o2.refresh_from_db()
    assert o2.status == SalesOrder.DRAFT


def test_invalid_status_transitions(shop):
    o = service.create_order(so([{"item": "A001", "qty": "1", "list_price": "20"}]))
    for fn in (service.close,):
        with pytest.raises(DocError) as e:
            fn(o)
        assert e.value.code == "invalid_status"
    service.confirm(o)
    with pytest.raises(DocError) as e:
        service.confirm(o)
    assert e.value.code == "invalid_status"
    service.cancel(o)
    assert service.availability.reserved() == {}
    for fn in (service.confirm, service.cancel, service.close):
        with pytest.raises(DocError) as e:
            fn(o)
        assert e.value.code == "invalid_status"
    with pytest.raises(DocError) as e:
        delivery.build_delivery(SalesOrder.objects.get(pk=o.pk))
    assert e.value.code == "invalid_status"


def test_delivery_partial_then_full(shop):
    from stockbook.posting.models import DocumentLine

    o = service.create_order(so([{"item": "A001", "qty": "3", "list_price": "10", "discount_pct": "0"},
                                  {"item": "B002", "qty": "2", "list_price": "7"}], order_discount="1.00"))
    # amounts 30.00 and 14.00, 1.00 off: 30/44 → 0.68, last takes 0.32
    lines = list(o.lines.all())
    assert [(x.amount, x.discount_share, x.net_amount) for x in lines] == [(3000, 68, 2932), (1400, 32, 1368)]
    service.confirm(o)
    r = delivery.deliver(o, {1: "1"}, on=None, ref="D1")
    assert r.posted
    o.refresh_from_db()
    assert o.status == SalesOrder.PARTIAL
    # 1 of 3 kg: round(29.32 / 3) = 9.77
    assert DocumentLine.objects.get(document__ref="D1", line_no=1).amount == 977
    r = delivery.deliver(o, None, ref="D2")
    o.refresh_from_db()
    assert o.status == SalesOrder.DELIVERED
    amts = dict(DocumentLine.objects.filter(document__ref="D2").values_list("line_no", "amount"))
    assert amts == {1: 2932 - 977, 2: 1368}
    assert service.availability.reserved() == {}


def test_over_remaining_delivery_rejected(shop, post_json):
    o = service.create_order(so([{"item": "A001", "qty": "3", "list_price": "10"}]))
    service.confirm(o)
    doc = delivery.build_delivery(o, {1: "3"}, ref="D9")
    doc["lines"][0]["qty"] = "4"
    before = counts()
    with pytest.raises(DocError) as e:
        post_json(doc)
    assert (e.value.code, e.value.line) == ("invalid_value", 1)
    assert counts() == before
    with pytest.raises(DocError) as e:
        delivery.build_delivery(o, {1: "3.5"})
    assert e.value.code == "invalid_value"


def test_delivery_unknown_order_and_status(shop, post_json):
    doc = {"type": "sales_delivery", "ref": "DX", "date": "2026-01-12", "customer": "C01", "warehouse": "WH1",
           "lines": [{"item": "A001", "qty": "1", "unit_price": "10", "sales_order": "XSDD-202601-9999", "order_line": 1}]}
    before = counts()
    with pytest.raises(DocError) as e:
        post_json(doc)
    assert e.value.code == "unknown_reference"
    o = service.create_order(so([{"item": "A001", "qty": "3", "list_price": "10"}]))
    doc["lines"][0]["sales_order"] = o.no
    with pytest.raises(DocError) as e:
        post_json(doc)  # still a draft
    assert e.value.code == "invalid_status"
    service.confirm(o)
    before = counts()
    doc2 = dict(doc, customer="C02")
    with pytest.raises(DocError) as e:
        post_json(doc2)
    assert e.value.code == "invalid_value"
    doc["lines"][0]["item"] = "B002"
    with pytest.raises(DocError) as e:
        post_json(doc)
    assert e.value.code == "invalid_value"
    assert counts() == before


def test_reserved_by_other(shop, post_json):
    """100 kg on hand, order reserves 80: a delivery without order may take 20, not 21."""
    o = service.create_order(so([{"item": "A001", "qty": "80", "list_price": "20"}]))
    service.confirm(o)
    before = counts()
    with pytest.raises(DocError) as e:
        post_json({"type": "sales_delivery", "ref": "DF", "date": "2026-01-12", "customer": "C02", "warehouse": "WH1",
                   "lines": [{"item": "B002", "qty": "1", "unit_price": "10"}, {"item": "A001", "qty": "21", "unit_price": "10"}]})
    assert (e.value.code, e.value.line) == ("reserved_by_other", 2)
    assert counts() == before
    assert post_json({"type": "sales_delivery", "ref": "DF", "date": "2026-01-12", "customer": "C02", "warehouse": "WH1",
                      "lines": [{"item": "A001", "qty": "20", "unit_price": "10"}]}).posted
    # a second order's delivery cannot take the first order's stock either: order 2 (draft → confirm fails)
    o2 = service.create_order(so([{"item": "A001", "qty": "1", "list_price": "20"}]))
    with pytest.raises(DocError) as e:
        service.confirm(o2)
    assert e.value.code == "insufficient_available"


def test_void_restores_order(shop):
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    o = service.create_order(so([{"item": "A001", "qty": "10", "list_price": "20"}]))
    service.confirm(o)
    delivery.deliver(o, {1: "4"}, ref="D1")
    assert sum(availability.reserved().values()) == 60000
    void_document(Document.objects.get(ref="D1").pk, reason="录错")
    o.refresh_from_db()
    assert o.status == SalesOrder.CONFIRMED and o.lines.get().delivered_base == 0
    assert sum(availability.reserved().values()) == 100000


def test_close_releases(shop):
    o = service.create_order(so([{"item": "A001", "qty": "10", "list_price": "20"}]))
    service.confirm(o)
    delivery.deliver(o, {1: "4"}, ref="D1")
    service.close(o)
    assert availability.reserved() == {}
    with pytest.raises(DocError) as e:
        delivery.deliver(SalesOrder.objects.get(pk=o.pk), ref="D2")
    assert e.value.code == "invalid_status"


def test_bad_order_input(shop):
    for data, code in [
        (so([{"item": "ZZZ", "qty": "1", "list_price": "1"}]), "unknown_item"),
        (so([{"item": "A001", "qty": "1", "list_price": "1"}], customer="NOPE"), "unknown_party"),
        (so([{"item": "A001", "qty": "1", "list_price": "1"}], warehouse="NOPE"), "unknown_warehouse"),
        (so([{"item": "A001", "qty": "-1", "list_price": "1"}]), "invalid_value"),
        (so([{"item": "A001", "qty": "1"}]), "invalid_value"),  # no price, no rule
        (so([{"item": "A001", "qty": "1", "list_price": "1", "discount_pct": "120"}]), "invalid_value"),
        (so([{"item": "A001", "qty": "1", "list_price": "1"}], order_discount="5.00"), "invalid_value"),
        (so([]), "invalid_value"),
    ]:
        with pytest.raises(DocError) as e:
            service.create_order(data)
        assert e.value.code == code, data
    assert SalesOrder.objects.count() == 0


def test_override_provider_only_for_the_named_order(post_json):
    """C01 limit 100.00. An order of 10 kg × 20.00 (226.00 gross) confirmed with an approved override of 226.00
    (set as the approval's executor does): its delivery (200.00 net) passes the contract's credit check; the same
    delivery not naming the order is refused (credit_limit_exceeded, nothing written)."""
    from tests.stock.helpers import setup_company

    setup_company(post_json, credit_limit="100.00")
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"}]})
    o = service.create_order(so([{"item": "A001", "qty": "10", "list_price": "20"}]))
    with pytest.raises(DocError) as e:
        service.confirm(o)
    assert e.value.code == "credit_limit_exceeded"
    SalesOrder.objects.filter(pk=o.pk).update(override_amount=22600)
    service.confirm(o)
    plain = {"type": "sales_delivery", "ref": "DP", "date": "2026-01-12", "customer": "C01", "warehouse": "WH1",
             "lines": [{"item": "A001", "qty": "6", "unit_price": "20"}]}  # 120.00 > 100.00
    before = counts()
    with pytest.raises(DocError) as e:
        post_json(plain)
    assert e.value.code == "credit_limit_exceeded"
    assert counts() == before
    assert delivery.deliver(o, on=None, ref="DO").posted
