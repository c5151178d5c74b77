"""REST: /api/cases, transitions, comments, /api/close-check."""
from datetime import date

import pytest
from django.test import Client

from tests.api.conftest import Api

from .conftest import journal


def _api(user):
    from stockbook.users.models import ApiToken

    return Api(Client(), ApiToken.issue(user, "tests")[1])


@pytest.fixture
def case(people, post_json):
    from stockbook.cases.models import Case
    from stockbook.cases.service import sync

    post_json(journal("J1", "500.00"))
    sync(date(2026, 1, 31))
    return Case.objects.get()


def test_list_and_get(case, people):
    api = _api(people["fin"])
    r = api.get("/cases")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1 and body["results"][0]["id"] == case.pk
    c = body["results"][0]
    assert c["status"] == "open" and c["amount"] == "500.00" and c["rule"] == "R030" and c["refs"] == ["J1"] and c["pair_key"] == "stock:1405"
    assert api.get("/cases", status="closed").json()["count"] == 0
    assert api.get("/cases", status="bogus").status_code == 422
    assert api.get("/cases", period="2026-13").json()["error"] == "invalid_value"
    one = api.get(f"/cases/{case.pk}").json()
    assert one["history"][0]["kind"] == "created" and one["comments"] == []
    assert api.get("/cases/999999").status_code == 404
    assert _api(people["east"]).get(f"/cases/{case.pk}").status_code == 404  # out of scope
    assert _api(people["east"]).get("/cases").json()["count"] == 0
    assert _api(people["seller"]).get("/cases").status_code == 403
    assert Api(Client()).get("/cases").status_code == 401


def test_transition_and_comment(case, people):
    from stockbook.cases.models import Case, CaseEvent

    fin = _api(people["fin"])
    r = fin.post(f"/cases/{case.pk}/transition", {"to": "closed"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    n = CaseEvent.objects.count()
    assert fin.post(f"/cases/{case.pk}/transition", "not json").status_code == 422
    assert fin.post(f"/cases/{case.pk}/transition", {"to": 5}).status_code == 422
    assert CaseEvent.objects.count() == n
    r = fin.post(f"/cases/{case.pk}/transition", {"to": "in_progress"}, headers={"HTTP_IDEMPOTENCY_KEY": "k1"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    again = fin.post(f"/cases/{case.pk}/transition", {"to": "in_progress"}, headers={"HTTP_IDEMPOTENCY_KEY": "k1"})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    r = fin.post(f"/cases/{case.pk}/comments", {"text": "核对中"})
    assert r.status_code == 201 and r.json()["text"] == "核对中"
    assert fin.post(f"/cases/{case.pk}/comments", {"text": ""}).status_code == 422
    r = fin.post(f"/cases/{case.pk}/transition", {"to": "resolved", "resolution": "explained", "note": "已说明"})
    assert r.json()["status"] == "resolved"
    r = fin.post(f"/cases/{case.pk}/transition", {"to": "closed"})
    assert r.status_code == 422 and r.json()["error"] == "segregation_of_duties"
    assert _api(people["east"]).post(f"/cases/{case.pk}/comments", {"text": "x"}).status_code == 404
    assert _api(people["seller"]).post(f"/cases/{case.pk}/comments", {"text": "x"}).status_code == 403
    r = _api(people["chief"]).post(f"/cases/{case.pk}/transition", {"to": "closed"})
    assert r.status_code == 200 and Case.objects.get().status == "closed"


def test_close_check_endpoint(case, people):
    api = _api(people["chief"])
    r = api.get("/close-check", period="2026-01")
    body = r.json()
    assert r.status_code == 200 and body["report"] == "close-check" and body["period"] == "2026-01" and body["clean"] is False
    assert any(b["kind"] == "open_cases" and b["items"][0]["link"] == f"/cases/{case.pk}/" for b in body["blockers"])
    bad = api.get("/close-check", period="2026-1")
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_value"
    assert api.get("/close-check").status_code == 422
