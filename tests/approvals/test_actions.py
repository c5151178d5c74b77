"""作废 and 反结账 are approved actions: asked for on the document / periods page (checked at once by a
dry run), carried out by the final approval as the person who asked, never approved by that person."""
import pytest
from django.test import Client

from tests.roles import role_user

PW = "pw-actions-1"


def _user(name, role):
    return role_user(name, role, PW)


@pytest.fixture
def flow(company, post_json):
    people = {"buyer": _user("buyer1", "采购"), "chief": _user("chief1", "财务主管"), "chief2": _user("chief2", "财务主管"),
              "admin": _user("admin1", "系统管理员")}
    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "10.00"}]})
    post_json({"type": "purchase_receipt", "ref": "R2", "date": "2026-01-06", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "20.00"}]})
    post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-10", "customer": "C01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "15", "unit_price": "30.00"}]})
    return people


def _doc(ref):
    from stockbook.posting.models import Document

    return Document.objects.get(ref=ref)


def test_void_through_the_web_and_an_approval(flow):
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import approve
    from stockbook.core.errors import DocError

    web = Client()
    web.force_login(flow["buyer"])
    page = web.get(f"/documents/{_doc('R2').pk}/").content.decode()
    assert "void-panel" in page
    # voiding R1 would starve D1 (15 taken, only R2's 10 left): refused at once, no request
    web.post(f"/documents/{_doc('R1').pk}/void/", {"reason": "错录"})
    assert not ApprovalRequest.objects.exists()
    # a reason is needed
    web.post(f"/documents/{_doc('R2').pk}/void/", {"reason": " "})
    assert not ApprovalRequest.objects.exists()
    # R2 would starve D1 too; post another receipt first so that voiding R2 is possible
    from stockbook.posting.service import post

    post({"type": "purchase_receipt", "ref": "R3", "date": "2026-01-07", "supplier": "S01", "warehouse": "WH1",
          "lines": [{"item": "A001", "qty": "10", "unit_price": "10.00"}]})
    web.post(f"/documents/{_doc('R2').pk}/void/", {"reason": "供应商发错货"})
    req = ApprovalRequest.objects.get(kind="void")
    assert _doc("R2").status == "posted"
    with pytest.raises(DocError) as e:  # the maker never approves their own request
        approve(req, flow["buyer"], PW)
    assert e.value.code in ("not_allowed", "segregation_of_duties", "not_approver")
    approve(req, flow["chief"], PW)
    req.refresh_from_db()
    assert req.status == "approved", (req.error_code, req.error_message)
    assert _doc("R2").status == "void"
    from stockbook.posting.integrity import check

    assert check() == []


def test_reopen_through_the_periods_page(flow, post_json):
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import approve
    from stockbook.ledger.models import Period

    post_json({"type": "period_close", "ref": "CL1", "date": "2026-01-31", "period": "2026-01"})
    web = Client()
    web.force_login(flow["chief"])
    web.post("/periods/reopen/", {"period": "2026-01", "reason": "补录发票"})
    req = ApprovalRequest.objects.get(kind="reopen")
    assert Period.objects.get(period=202601).status == "closed"
    approve(req, flow["chief2"], PW)
    assert Period.objects.get(period=202601).status == "open"
    from stockbook.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="reopen").exists()
