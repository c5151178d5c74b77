"""审核 / 反审核: a separate right from making vouchers, never by the maker (unless self-approval is allowed
for a one-person company), with a reason to cancel, not in a closed month, recorded in the audit trail."""
import json

import pytest
from django.test import Client

from tests.roles import role_user as _user


def _api(user):
    from stockbook.users.models import ApiToken

    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 't')[1]}")


def _journal(api, ref, day="2026-01-20"):
    r = api.post("/api/documents", json.dumps({"type": "journal", "ref": ref, "date": day, "lines": [
        {"account": "1001", "debit": "10.00"}, {"account": "1002", "credit": "10.00"}]}), content_type="application/json")
    assert r.status_code == 201, r.content
    from stockbook.ledger.models import Voucher

    return Voucher.objects.filter(document__ref=ref).get()


@pytest.fixture
def people(company):
    return {"accountant": _user("acc", "财务"), "chief": _user("chief1", "财务主管"), "chief2": _user("chief2", "财务主管")}


def test_maker_cannot_audit_own_voucher(people):
    v = _journal(_api(people["chief"]), "J1")
    r = _api(people["chief"]).post(f"/api/vouchers/{v.pk}/audit")
    assert r.status_code == 422 and r.json()["error"] == "segregation_of_duties"
    v.refresh_from_db()
    assert v.audited_by is None
    r = _api(people["chief2"]).post(f"/api/vouchers/{v.pk}/audit")
    assert r.status_code == 200 and r.json()["audited_by"] == "chief2" and r.json()["maker"] == "chief1"
    # twice is refused
    assert _api(people["chief2"]).post(f"/api/vouchers/{v.pk}/audit").json()["error"] == "invalid_value"


def test_making_and_auditing_are_separate_rights(people):
    v = _journal(_api(people["accountant"]), "J2")
    r = _api(people["accountant"]).post(f"/api/vouchers/{v.pk}/audit")
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
    web = Client()
    web.force_login(people["accountant"])
    assert web.post(f"/vouchers/{v.pk}/audit/").status_code == 403


def test_unaudit_needs_a_reason_and_is_in_the_trail(people):
    from stockbook.audit.models import AuditEntry

    v = _journal(_api(people["accountant"]), "J3")
    assert _api(people["chief"]).post(f"/api/vouchers/{v.pk}/audit").status_code == 200
    r = _api(people["chief"]).post(f"/api/vouchers/{v.pk}/unaudit")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = _api(people["chief"]).post(f"/api/vouchers/{v.pk}/unaudit?reason=" + "金额有误")
    assert r.status_code == 200 and r.json()["audited_by"] is None
    actions = list(AuditEntry.objects.filter(object_id=str(v.pk)).values_list("action", flat=True))
    assert "audit" in actions and "unaudit" in actions


def test_web_audit_button(people):
    v = _journal(_api(people["accountant"]), "J4")
    web = Client()
    web.force_login(people["chief"])
    page = web.get(f"/vouchers/{v.pk}/").content.decode()
    assert f"/vouchers/{v.pk}/audit/" in page
    web.post(f"/vouchers/{v.pk}/audit/")
    v.refresh_from_db()
    assert v.audited_by == people["chief"]


def test_one_person_company_may_audit_own(people, settings):
    settings.STOCKBOOK_ALLOW_SELF_APPROVAL = True
    v = _journal(_api(people["chief"]), "J5")
    assert _api(people["chief"]).post(f"/api/vouchers/{v.pk}/audit").status_code == 200


def test_closed_month_cannot_be_audited(people, post_json):
    v = _journal(_api(people["accountant"]), "J6")
    post_json({"type": "period_close", "ref": "CL-2026-01", "date": "2026-01-31", "period": "2026-01"})
    r = _api(people["chief"]).post(f"/api/vouchers/{v.pk}/audit")
    assert r.status_code == 422 and r.json()["error"] == "period_closed"
