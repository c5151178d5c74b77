"""REST: create → submit → receive → inspect → match → invoice, with refusals as 422 and rights as 403."""
import pytest
from django.test import Client

from tests.api.conftest import Api

from .conftest import counts, po_obj

pytestmark = pytest.mark.django_db


def client_for(user):
    from stockbook.users.models import ApiToken

    return Api(Client(), ApiToken.issue(user, "tests")[1])


def test_rest_flow(company, people):
    buyer, keeper, fin = client_for(people["buyer"]), client_for(people["keeper"]), client_for(people["fin1"])
    r = buyer.post("/purchasing/orders", dict(po_obj(), submit=True))
    assert r.status_code == 201, r.content
    po = r.json()
    assert po["status"] == "approved" and po["total"] == "1130.00" and po["lines"][0]["open_base"] == "100"
    n = po["number"]
    assert buyer.get("/purchasing/orders", status="approved").json()["count"] == 1
    assert buyer.get("/purchasing/orders", status="nope").status_code == 422

    before = counts()
    r = buyer.post(f"/purchasing/orders/{n}/receive", {"ref": "R1", "date": "2026-01-10", "lines": [{"order_line": 1, "qty": "200"}]})
    assert r.status_code == 422 and r.json()["error"] == "over_receipt" and counts() == before
    r = buyer.post(f"/purchasing/orders/{n}/receive", {"ref": "R1", "date": "2026-01-10", "lines": [{"order_line": 1, "qty": "60"}]})
    assert r.status_code == 201 and r.json()["order"]["status"] == "partial"

    assert buyer.post("/purchasing/receipts/R1/inspect", {"lines": []}).status_code == 403  # buyer: no 质检 right
    r = keeper.post("/purchasing/receipts/R1/inspect", {"date": "2026-01-11",
                                                         "lines": [{"line": 1, "accepted": "50", "rejected": "5"}]})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = keeper.post("/purchasing/receipts/R1/inspect", {"date": "2026-01-11",
                                                         "lines": [{"line": 1, "accepted": "55", "rejected": "5", "reason": "破损"}]})
    assert r.status_code == 201 and r.json()["return"] == "QC-R1"
    assert keeper.post("/purchasing/receipts/R1/inspect", {"lines": [{"line": 1, "accepted": "60"}]}).json()["error"] == "invalid_status"

    m = fin.get(f"/purchasing/orders/{n}/match").json()
    assert m["invoice_prefill"] == [{"receipt": "R1", "line": 1, "item": "A001", "qty": "55", "unit_price": "10.00", "tax_rate": "0.13"}]
    bad = dict(m["invoice_prefill"][0], unit_price="9.99")
    r = fin.post(f"/purchasing/orders/{n}/invoice", {"ref": "PI1", "date": "2026-01-15", "lines": [bad]})
    assert r.status_code == 422 and r.json()["error"] == "three_way_mismatch" and r.json()["line"] == 1
    r = fin.post(f"/purchasing/orders/{n}/invoice", {"ref": "PI1", "date": "2026-01-15"})
    assert r.status_code == 201 and r.json()["status"] == "posted"
    assert fin.get(f"/purchasing/orders/{n}/match").json()["lines"][0]["match"] == "匹配"

    assert buyer.get("/purchasing/prices/A001").json()["last"]["price"] == "10.00"
    assert buyer.get("/purchasing/orders/NOPE").status_code == 404
    assert buyer.post(f"/purchasing/orders/{n}/submit").json()["error"] == "invalid_status"
    assert client_for(people["seller"]).post("/purchasing/orders", po_obj()).status_code == 403
    assert buyer.get("/purchasing/suggestions").json() == {"rows": []}
    assert fin.get("/purchasing/scores", start="2026-01-01", end="2026-12-31").json()["rows"][0]["reject_rate"] == "8.33"


def test_edit_draft_only(company, people):
    import json as _json

    buyer = client_for(people["buyer"])
    n = buyer.post("/purchasing/orders", po_obj()).json()["number"]
    body = _json.dumps({"supplier": "S02", "lines": [{"item": "B002", "qty": "3", "unit_price": "2.50"}]})
    r = buyer.c.put(f"/api/purchasing/orders/{n}", body, content_type="application/json", **buyer.headers)
    assert r.status_code == 200 and r.json()["supplier"] == "S02" and r.json()["total"] == "8.48"  # 7.50 + 0.98
    r = buyer.c.put(f"/api/purchasing/orders/{n}", _json.dumps({"lines": []}), content_type="application/json", **buyer.headers)
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    buyer.post(f"/purchasing/orders/{n}/submit")
    r = buyer.c.put(f"/api/purchasing/orders/{n}", body, content_type="application/json", **buyer.headers)
    assert r.status_code == 422 and r.json()["error"] == "invalid_status"
