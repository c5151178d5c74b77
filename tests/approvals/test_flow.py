"""Requests through their steps: sequential levels, 会签 / 或签, 转交, reject with reason, segregation of
duties, the e-signature, timeouts, and the final posting through post() (or its failure)."""
from datetime import timedelta

import pytest

from stockbook.approvals import service
from stockbook.approvals.models import ApprovalRequest, ApprovalSettings, Assignee, Decision
from stockbook.audit.models import AuditEntry
from stockbook.core.errors import DocError
from stockbook.ledger.models import Voucher
from stockbook.notify.models import Notification
from stockbook.posting.models import Document

from .conftest import pw, receipt


def _approve(req, user, **kw):
    return service.approve(req.pk, user, kw.pop("password", pw(user)), **kw)


def _err(fn, *args, **kw) -> str:
    with pytest.raises(DocError) as e:
        fn(*args, **kw)
    return e.value.code


def _state(req):
    """Everything a refused attempt must leave unchanged."""
    r = ApprovalRequest.objects.get(pk=req.pk)
    return (r.status, r.current_level, r.escalated, r.document_id,
            sorted(Assignee.objects.filter(request=req).values_list("level", "user__username", "state")),
            Decision.objects.filter(request=req).count(), Document.objects.filter(ref=r.ref).count())


def _posted(ref="R-1"):
    return Document.objects.filter(type="purchase_receipt", ref=ref).first()


def test_two_levels_in_order_then_posted_as_the_maker(people, two_levels, submit):
    req = submit()
    assert _err(_approve, req, people["boss1"]) == "not_approver"  # level 2 is not yet open
    _approve(req, people["fin1"], comment="同意")
    req.refresh_from_db()
    assert (req.status, req.current_level) == ("pending", 2) and _posted() is None
    # the other 财务主管's vote was not needed (或签); level 2's approvers were told
    assert Assignee.objects.get(request=req, user=people["fin2"]).state == "skipped"
    assert set(Notification.objects.filter(event="approval.requested", payload__level=2).values_list("user__username", flat=True)) \
        == {"boss1", "boss2"}
    assert _err(_approve, req, people["fin2"]) == "not_approver"
    _approve(req, people["boss2"])
    req.refresh_from_db()
    doc = _posted()
    assert req.status == "approved" and req.document == doc and req.decided_at is not None
    assert doc.created_by == people["buyer"] and doc.source == "web"
    assert Voucher.objects.filter(document=doc).count() == 1
    assert [(d.level, d.user.username, d.action, d.signed) for d in req.decisions.order_by("id")] == \
        [(1, "fin1", "approve", True), (2, "boss2", "approve", True)]
    note = Notification.objects.get(event="approval.approved")
    assert note.user == people["buyer"] and note.link == f"/documents/{doc.pk}/"
    actions = list(AuditEntry.objects.filter(object_type="approvals.approvalrequest", object_id=str(req.pk))
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["submit", "approval_denied", "approve", "approval_denied", "approve"]  # refusals are logged too
    assert AuditEntry.objects.filter(action="post", object_id=str(doc.pk)).count() == 1
    assert _err(_approve, req, people["boss1"]) == "approval_closed"  # a replayed or late vote


def test_countersign_needs_everyone(people, make_workflow, submit):
    make_workflow([{"mode": "all", "users": [people["fin1"], people["fin2"], people["boss1"]]}])
    req = submit()
    _approve(req, people["fin1"])
    _approve(req, people["boss1"])
    req.refresh_from_db()
    assert req.status == "pending" and _posted() is None
    assert list(service.current_approvers(req)) == [people["fin2"]]
    _approve(req, people["fin2"])
    req.refresh_from_db()
    assert req.status == "approved" and _posted() is not None


def test_countersign_any_rejection_ends_it(people, make_workflow, submit):
    make_workflow([{"mode": "all", "roles": ["财务主管"]}])
    req = submit()
    _approve(req, people["fin1"])
    service.reject(req.pk, people["fin2"], pw(people["fin2"]), "单价高于合同价")
    req.refresh_from_db()
    assert req.status == "rejected" and _posted() is None


def test_or_sign_any_one_decides(people, make_workflow, submit):
    make_workflow([{"mode": "any", "users": [people["fin1"], people["boss1"]]}])
    req = submit()
    _approve(req, people["boss1"])
    req.refresh_from_db()
    assert req.status == "approved" and _posted() is not None
    assert _err(_approve, req, people["fin1"]) == "approval_closed"


def test_delegate_hands_the_vote_on(people, make_workflow, submit):
    make_workflow([{"mode": "all", "users": [people["fin1"], people["fin2"]]}])
    req = submit()
    service.delegate(req.pk, people["fin1"], pw(people["fin1"]), people["boss1"], comment="出差，请代批")
    assert sorted(u.username for u in service.current_approvers(req)) == ["boss1", "fin2"]
    row = Assignee.objects.get(request=req, user=people["boss1"])
    assert row.delegated_from == people["fin1"] and Assignee.objects.get(request=req, user=people["fin1"]).state == "delegated"
    assert _err(_approve, req, people["fin1"]) == "not_approver"
    assert Notification.objects.filter(event="approval.delegated", user=people["boss1"]).exists()
    # not to the maker, not to someone without the right, not to someone already holding a vote
    assert _err(service.delegate, req.pk, people["fin2"], pw(people["fin2"]), people["buyer"]) == "segregation_of_duties"
    assert _err(service.delegate, req.pk, people["fin2"], pw(people["fin2"]), people["keeper"]) == "not_approver"
    assert _err(service.delegate, req.pk, people["fin2"], pw(people["fin2"]), people["boss1"]) == "invalid_value"
    _approve(req, people["fin2"])
    _approve(req, people["boss1"])
    req.refresh_from_db()
    assert req.status == "approved"
    d = req.decisions.get(action="delegate")
    assert (d.user, d.to_user, d.comment, d.signed) == (people["fin1"], people["boss1"], "出差，请代批", True)


def test_reject_with_reason_goes_back_to_the_maker(people, two_levels, submit):
    req = submit()
    before = _state(req)
    assert _err(service.reject, req.pk, people["fin1"], pw(people["fin1"]), "  ") == "invalid_value"
    assert _state(req) == before
    service.reject(req.pk, people["fin1"], pw(people["fin1"]), "数量与合同不符")
    req.refresh_from_db()
    assert req.status == "rejected" and _posted() is None
    note = Notification.objects.get(event="approval.rejected")
    assert note.user == people["buyer"] and "数量与合同不符" in note.body and "fin1" in note.body
    assert not Assignee.objects.filter(request=req, state="pending").exists()
    assert AuditEntry.objects.filter(action="reject", remark="数量与合同不符").exists()
    # rejected: the maker corrects it and submits again under the same ref
    again = submit(receipt(qty="9"))
    assert again.pk != req.pk and again.status == "pending"


def test_the_maker_cannot_approve_their_own(people, make_workflow, submit):
    make_workflow([{"roles": ["财务主管"]}])
    req = submit(user=people["solo"])
    assert not Assignee.objects.filter(request=req, user=people["solo"]).exists()
    before = _state(req)
    assert _err(_approve, req, people["solo"]) == "segregation_of_duties"
    assert _state(req) == before


@pytest.mark.parametrize("how", ["django_setting", "company_setting"])
def test_self_approval_when_allowed(people, make_workflow, submit, settings, how):
    if how == "django_setting":
        settings.STOCKBOOK_ALLOW_SELF_APPROVAL = True
    else:
        ApprovalSettings.objects.create(pk=1, allow_self_approval=True)
    make_workflow([{"users": [people["solo"]]}])
    req = submit(user=people["solo"])
    _approve(req, people["solo"])
    req.refresh_from_db()
    assert req.status == "approved" and _posted().created_by == people["solo"]


def test_wrong_password_changes_nothing(people, two_levels, submit):
    req = submit()
    before = _state(req)
    for bad in ("wrong", "", pw(people["fin2"])):
        assert _err(_approve, req, people["fin1"], password=bad) == "signature_invalid"
        assert _err(service.reject, req.pk, people["fin1"], bad, "理由") == "signature_invalid"
        assert _err(service.delegate, req.pk, people["fin1"], bad, people["boss1"]) == "signature_invalid"
    assert _state(req) == before
    denied = AuditEntry.objects.filter(action="approval_denied", object_id=str(req.pk))
    assert denied.count() == 9 and all("signature_invalid" in e.after for e in denied)


def test_no_right_or_not_an_approver_is_refused(people, make_workflow, submit):
    from django.contrib.auth.models import Group

    make_workflow([{"users": [people["fin1"], people["keeper"]]}])
    req = submit()
    # keeper was named in the step but has no 审批 right: never given a vote
    assert [u.username for u in service.current_approvers(req)] == ["fin1"]
    before = _state(req)
    assert _err(_approve, req, people["keeper"]) == "not_allowed"
    assert _err(_approve, req, people["boss1"]) == "not_approver"
    assert _err(_approve, req, people["fin1"], level=2) == "approval_closed"  # a form of another level
    assert _state(req) == before
    # the right taken away after the vote was given: refused too
    people["fin1"].groups.remove(Group.objects.get(name="财务主管"))
    from django.contrib.auth.models import User

    assert _err(_approve, req, User.objects.get(pk=people["fin1"].pk)) == "not_allowed"
    assert _state(req) == before


def test_scope_limits_who_approves(people, make_workflow, post_json, submit):
    from django.contrib.auth.models import User

    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Warehouse

    post_json({"type": "warehouse", "code": "WH2", "name": "分仓"})
    Scope.objects.create(user=people["boss2"]).warehouses.add(Warehouse.objects.get(code="WH2"))
    make_workflow([{"roles": ["管理层"]}])
    req = submit()  # WH1: outside boss2's scope
    assert [u.username for u in service.current_approvers(req)] == ["boss1"]
    assert _err(_approve, req, User.objects.get(pk=people["boss2"].pk)) == "not_approver"


def test_timeout_escalates_to_the_next_level(people, make_workflow, submit):
    make_workflow([{"roles": ["财务主管"], "timeout_hours": 24}, {"roles": ["管理层"]}])
    req = submit()
    t0 = req.level_started_at
    assert service.escalate_overdue(now=t0 + timedelta(hours=23, minutes=59)) == []
    done = service.escalate_overdue(now=t0 + timedelta(hours=24))
    assert [(d["request"], d["level"], d["to"]) for d in done] == [(req.pk, 1, 2)]
    req.refresh_from_db()
    assert req.current_level == 2 and req.status == "pending" and req.level_started_at == t0 + timedelta(hours=24)
    assert sorted(u.username for u in service.current_approvers(req)) == ["boss1", "boss2"]
    assert set(Assignee.objects.filter(request=req, level=1).values_list("state", flat=True)) == {"escalated"}
    d = req.decisions.get(action="escalate")
    assert d.user is None and d.level == 1 and "24" in d.comment
    assert set(Notification.objects.filter(event="approval.escalated").values_list("user__username", flat=True)) >= {"boss1", "boss2", "buyer"}
    assert AuditEntry.objects.filter(action="escalate", object_id=str(req.pk)).exists()
    assert _err(_approve, req, people["fin1"]) == "not_approver"
    assert service.escalate_overdue(now=t0 + timedelta(days=30)) == []  # level 2 has no timeout
    _approve(req, people["boss1"])
    req.refresh_from_db()
    assert req.status == "approved"


def test_timeout_escalates_to_a_role(people, make_workflow, submit):
    make_workflow([{"mode": "all", "roles": ["财务主管"], "timeout_hours": 8, "escalate_to_role": "管理层"}])
    req = submit()
    _approve(req, people["fin1"])
    done = service.escalate_overdue(now=req.level_started_at + timedelta(hours=9))
    assert done == [{"request": req.pk, "level": 1, "to": "管理层"}]
    req.refresh_from_db()
    assert req.escalated and req.current_level == 1
    assert sorted(u.username for u in service.current_approvers(req)) == ["boss1", "boss2"]
    assert service.escalate_overdue(now=req.level_started_at + timedelta(days=9)) == []  # once per level
    _approve(req, people["boss2"])  # any one of the escalation role decides
    req.refresh_from_db()
    assert req.status == "approved"


def test_failure_at_the_final_posting_marks_the_request_failed(people, make_workflow, post_json):
    make_workflow([{"roles": ["管理层"]}], doc_type="sales_delivery")
    post_json(receipt("R-0", qty="10", price="5"))
    delivery = {"type": "sales_delivery", "ref": "D-1", "date": "2026-01-10", "customer": "C01", "warehouse": "WH1",
                "lines": [{"item": "A001", "qty": "8", "unit_price": "20"}]}
    req = post_json(delivery, user=people["seller"]).approval
    assert req.status == "pending"
    # meanwhile the stock is taken by another delivery
    post_json({**delivery, "ref": "D-2", "date": "2026-01-08", "lines": [{"item": "A001", "qty": "5", "unit_price": "20"}]})
    _approve(req, people["boss1"])
    req.refresh_from_db()
    assert (req.status, req.error_code, req.document) == ("failed", "negative_stock", None)
    assert req.error_message and not Document.objects.filter(ref="D-1").exists()
    note = Notification.objects.get(event="approval.failed")
    assert note.user == people["seller"] and "negative_stock" in note.body
    assert req.decisions.filter(action="approve", user=people["boss1"]).exists()  # the vote itself stands


def test_the_maker_withdraws(people, two_levels, submit):
    req = submit()
    assert _err(service.cancel, req.pk, people["fin1"]) == "not_allowed"
    service.cancel(req.pk, people["buyer"])
    req.refresh_from_db()
    assert req.status == "cancelled" and not service.current_approvers(req)
    assert _err(_approve, req, people["fin1"]) == "approval_closed"
    assert submit().pk != req.pk  # the ref is free again


def test_a_level_nobody_can_approve_is_passed_on(people, make_workflow, submit):
    make_workflow([{"users": [people["keeper"]]}, {"roles": ["管理层"]}])
    req = submit()
    assert req.current_level == 2
    assert req.decisions.get(action="escalate").level == 1


def test_editing_the_workflow_does_not_change_requests_under_way(people, two_levels, submit):
    req = submit()
    two_levels.steps.filter(level=2).delete()
    _approve(req, people["fin1"])
    req.refresh_from_db()
    assert req.current_level == 2 and req.status == "pending"


def test_a_last_level_nobody_can_approve_waits_for_an_administrator(people, make_workflow, submit):
    from django.contrib.auth.models import Group, User

    admin = User.objects.create_user("admin", password="pw-admin")
    admin.groups.add(Group.objects.get(name="系统管理员"))
    make_workflow([{"users": [people["keeper"]]}])
    req = submit()
    assert req.status == "pending" and service.current_approvers(req) == []
    assert Notification.objects.filter(user=admin, event="approval.requested").exists()
    assert _err(service.delegate, req.pk, people["fin1"], pw(people["fin1"]), people["boss1"]) == "not_approver"
    service.delegate(req.pk, admin, "pw-admin", people["boss1"].pk)
    assert service.current_approvers(req) == [people["boss1"]]
    _approve(req, people["boss1"])
    req.refresh_from_db()
    assert req.status == "approved"
