"""Every endpoint needs a session (CSRF on writes) or an active API token; anonymous gets 401 JSON."""
import pytest
from django.test import Client

from .conftest import Api

JOURNAL = {"type": "journal", "ref": "J1", "date": "2026-01-05",
           "lines": [{"account": "1001", "debit": "10.00"}, {"account": "1002", "credit": "10.00"}]}

ENDPOINTS = ["/documents/journal/J1", "/warehouses", "/items", "/suppliers", "/customers", "/accounts",
             "/accounts/1001", "/vouchers", "/vouchers/1", "/periods", "/reports/trial-balance"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_anonymous_get_is_401_json(anon, path):
    r = anon.get(path)
    assert r.status_code == 401
    assert r.json()["error"] == "not_allowed"
    assert r["Content-Type"].startswith("application/json")


def test_anonymous_post_is_401_and_writes_nothing(anon, company):
    from stockbook.posting.models import Document

    n = Document.objects.count()
    r = anon.post("/documents", JOURNAL)
    assert r.status_code == 401 and r.json()["error"] == "not_allowed"
    assert anon.post("/periods/2026-01/reopen").status_code == 401
    assert anon.delete("/warehouses/WH1").status_code == 401
    assert anon.patch("/warehouses/WH1", {"name": "x"}).status_code == 401
    assert Document.objects.count() == n


def test_token_ok_and_last_used(api, company):
    from stockbook.users.models import ApiToken

    assert ApiToken.objects.get().last_used is None
    r = api.get("/warehouses")
    assert r.status_code == 200
    assert [w["code"] for w in r.json()["items"]] == ["WH1"]
    assert ApiToken.objects.get().last_used is not None


@pytest.mark.parametrize("header", ["Bearer sb_wrong", "Bearer ", "Bearer", "Token abc", "Basic Zm9vOmJhcg==",
                                    "Bearer sb_" + "x" * 500, "Bearer sb_\u4e2d\u6587"])
def test_bad_token_is_401(db, header):
    r = Client().get("/api/warehouses", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    assert r.json()["error"] == "not_allowed"


def test_revoked_token_and_inactive_user(user, token, db):
    from stockbook.users.models import ApiToken

    api = Api(Client(), token)
    assert api.get("/periods").status_code == 200
    ApiToken.objects.update(active=False)
    assert api.get("/periods").status_code == 401
    ApiToken.objects.update(active=True)
    user.is_active = False
    user.save()
    assert api.get("/periods").status_code == 401


def test_session_get_and_csrf_on_writes(user, company):
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    assert c.get("/api/warehouses").status_code == 200
    # a write without the CSRF token is refused and writes nothing
    r = c.post("/api/documents", JOURNAL, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["error"] == "not_allowed"
    from stockbook.ledger.models import Voucher

    assert Voucher.objects.count() == 0
    # with the token (cookie + header) it goes through
    c.get("/api/docs")  # sets the csrftoken cookie
    csrf = c.cookies["csrftoken"].value
    r = c.post("/api/documents", JOURNAL, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert r.status_code == 201, r.content
    assert r.json()["vouchers"] == ["记-2026-01-0001"]
    from stockbook.posting.models import Document

    assert Document.objects.get(identity="journal:J1").created_by == user


def test_token_writes_need_no_csrf(user, token, company):
    c = Client(enforce_csrf_checks=True)
    r = c.post("/api/documents", JOURNAL, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_endpoint_is_json_404(anon, api, method):
    for client in (anon, api):
        r = getattr(client, method)("/no/such/thing")
        assert r.status_code == 404 and r.json()["error"] == "unknown_reference"
    assert api.get("/warehouses/").status_code == 404  # trailing slash: no redirect, a JSON 404
