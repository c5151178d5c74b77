"""REST /api/sales/…: the flow, capability checks (403), bad input (422 {"error", "message"}), nothing written."""
import pytest
from django.test import Client

from tests.api.conftest import Api
from tests.roles import role_user

from .conftest import counts


def _api(user):
    from stockbook.users.models import ApiToken

    return Api(Client(), ApiToken.issue(user, "t")[1])


@pytest.fixture
def seller(shop):
    return _api(role_user("seller", "销售"))


@pytest.fixture
def boss(shop):
    from django.contrib.auth.models import User

    return _api(User.objects.create_superuser("boss", password="pw-secret-2"))


ORDER = {"customer": "C01", "warehouse": "WH1", "date": "2026-01-10",
         "lines": [{"item": "A001", "qty": "10", "list_price": "20.00", "discount_pct": "5"}, {"item": "B002", "qty": "2", "list_price": "9"}]}


def test_order_flow_over_rest(seller, boss):
    r = seller.post("/sales/orders", ORDER)
    assert r.status_code == 201, r.content
    o = r.json()
    no = o["no"]
    assert o["status"] == "draft" and o["net_total"] == "208.00" and o["lines"][0]["net_amount"] == "190.00"
    r = seller.get("/sales/availability", warehouse="WH1", items="A001,B002")
    assert r.json()["items"]["A001"] == {"on_hand": "100", "reserved": "0", "available": "100", "uom": "kg"}
    r = seller.post(f"/sales/orders/{no}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert seller.get("/sales/availability", warehouse="WH1", items="A001").json()["items"]["A001"]["available"] == "90"
    r = seller.post(f"/sales/orders/{no}/confirm")
    assert r.status_code == 422 and r.json()["error"] == "invalid_status"
    r = seller.post(f"/sales/orders/{no}/deliver", {"date": "2026-01-11", "ref": "D1", "lines": {"1": "4"}})
    assert r.status_code == 201, r.content
    assert r.json()["ref"] == "D1"
    r = seller.post(f"/sales/orders/{no}/deliver", {"date": "2026-01-11", "ref": "D2", "lines": {"1": "7"}})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    # the seller may not invoice (doc_invoice)
    r = seller.post(f"/sales/orders/{no}/invoice", {"date": "2026-01-12", "ref": "I1"})
    assert r.status_code in (403, 422) and r.json()["error"] == "not_allowed"
    r = boss.post(f"/sales/orders/{no}/invoice", {"date": "2026-01-12", "ref": "I1"})
    assert r.status_code == 201, r.content
    r = boss.post(f"/sales/orders/{no}/receipt", {"date": "2026-01-13", "ref": "RC1", "amount": "50.00"})
    assert r.status_code == 201, r.content
    got = seller.get(f"/sales/orders/{no}").json()
    assert got["status"] == "partial" and got["lines"][0]["delivered"] == "4" and got["lines"][0]["reserved"] == "6"
    assert [d["ref"] for d in got["documents"]["receipts"]] == ["RC1"]
    assert [x["order"] for x in seller.get("/sales/reservations").json()["results"]] == [no, no]
    assert seller.get("/sales/orders", status="open").json()["count"] == 1
    r = seller.post(f"/sales/orders/{no}/close")
    assert r.json()["status"] == "closed"
    assert seller.get("/sales/reservations").json()["results"] == []


def test_rest_bad_input_writes_nothing(seller):
    before = counts()
    for body in ({**ORDER, "customer": "NOPE"}, {**ORDER, "lines": "x"}, {**ORDER, "order_discount": "abc"}, [1, 2]):
        r = seller.post("/sales/orders", body)
        assert r.status_code == 422 and set(r.json()) >= {"error", "message"}, r.content
    r = seller.post("/sales/orders", "{not json")
    assert r.status_code == 422
    assert seller.get("/sales/orders/XSDD-NOPE").status_code == 404
    assert seller.post("/sales/orders/XSDD-NOPE/confirm").status_code == 404
    assert seller.get("/sales/orders", status="weird").status_code == 422
    assert seller.get("/sales/availability", warehouse="NOPE", items="A001").status_code == 422
    assert counts() == before


def test_rest_capabilities(shop):
    wh = _api(role_user("keeper", "仓库"))
    r = wh.post("/sales/orders", ORDER)
    assert r.status_code in (403, 422) and r.json()["error"] == "not_allowed"
    anon = Api(Client())
    assert anon.get("/sales/orders").status_code == 401


def test_quotation_and_price_over_rest(seller):
    from decimal import Decimal

    from stockbook.masterdata.models import Item
    from stockbook.sales.models import PriceRule

    PriceRule.objects.create(item=Item.objects.get(code="A001"), min_qty=100000, unit_price=Decimal("18.5"))
    assert seller.get("/sales/price", item="A001", qty="10", date="2026-01-10").json()["unit_price"] == "18.5"
    assert seller.get("/sales/price", item="A001", qty="9", date="2026-01-10").json()["unit_price"] is None
    r = seller.post("/sales/quotations", {"customer": "C01", "warehouse": "WH1", "date": "2026-01-05", "valid_until": "2026-02-05",
                                          "lines": [{"item": "A001", "qty": "12"}]})
    assert r.status_code == 201, r.content
    no = r.json()["no"]
    assert r.json()["lines"][0]["list_price"] == "18.5"
    assert seller.post(f"/sales/quotations/{no}/send").json()["status"] == "sent"
    r = seller.post(f"/sales/quotations/{no}/convert", {"date": "2026-01-10"})
    assert r.status_code == 201 and r.json()["quotation"] == no and r.json()["net_total"] == "222.00"
    r = seller.post(f"/sales/quotations/{no}/convert", {"date": "2026-01-10"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_status"
    assert seller.post(f"/sales/quotations/{no}/bogus").status_code == 422
