"""Red invoices, prepayments and applications through POST /api/documents (the same post() path): 201 with the
voucher, errors 422 {"error", "message"} and nothing written, GET returns the document."""
import json

import pytest
from django.test import Client

from tests.stock.helpers import setup_company

from .helpers import dlv, rec, sinv, sred

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user):
    from stockbook.users.models import ApiToken

    token = ApiToken.issue(user, "tests")[1]
    c = Client()

    def post(body):
        return c.post("/api/documents", json.dumps(body, ensure_ascii=False), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(path):
        return c.get("/api" + path, HTTP_AUTHORIZATION=f"Bearer {token}")

    return post, get


def test_rest(api, post_json):
    post, get = api
    setup_company(post_json, "fifo")
    post_json(rec("R1", "2026-01-05", "10", "10.00"))
    post_json(dlv("D1", "2026-01-06", "10", "20.00"))
    post_json(sinv("SI1", "2026-01-10", "D1", "10", "22.00"))
    r = post(sred("SR1", "2026-01-15", "SI1", "4"))
    assert r.status_code == 201, r.content
    assert r.json()["vouchers"] and r.json()["type"] == "sales_red_invoice"
    r = post(sred("SR2", "2026-01-15", "SI1", "7"))
    assert r.status_code == 422 and r.json()["error"] == "red_exceeds_original"
    r = get("/documents/sales_red_invoice/SR1")
    assert r.status_code == 200 and r.json()["ref"] == "SR1"
    r = post({"type": "customer_receipt", "ref": "PRE1", "date": "2026-01-16", "customer": "C01", "account": "1002",
              "amount": "50.00", "prepayment": True})
    assert r.status_code == 201, r.content
    r = post({"type": "advance_application", "ref": "AP1", "date": "2026-01-17", "customer": "C01", "amount": "60.00"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = post({"type": "advance_application", "ref": "AP1", "date": "2026-01-17", "customer": "C01", "amount": "50.00",
              "allocations": [{"invoice": "SI1", "amount": "50.00"}]})
    assert r.status_code == 201, r.content
