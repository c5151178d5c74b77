"""The two approved actions besides posting a document: 作废 (void by reversal, stockbook/posting/void.py)
and 反结账 (reopen a period, posting/handlers/period.py). Each is asked for here — checked at once by a dry
run that is rolled back, so a request that could never be carried out is refused with its own error — and
carried out by its executor on the final approval, as the person who asked.

Which workflow: an active Workflow whose ``doc_type`` is ``"void"`` or ``"reopen"`` (configurable like any
other), else a default one created on first use: void → 财务主管 (或签); reopen → 财务主管 or 系统管理员
(或签). The asker never approves their own request (segregation of duties)."""
from django.contrib.auth.models import Group
from django.db import transaction

from stockbook.core.errors import DocError

from .models import MODE_ANY, ApprovalRequest, Step, Workflow
from .service import find_workflow, register_executor, submit

DEFAULTS = {"void": ("作废审批（默认）", ["财务主管"]), "reopen": ("反结账审批（默认）", ["财务主管", "系统管理员"])}


class _DryRun(Exception):
    pass


def _dry_run(fn):
    """Run ``fn`` and roll it back: its DocError (if any) is the answer."""
    try:
        with transaction.atomic():
            fn()
            raise _DryRun
    except _DryRun:
        pass


def _workflow(kind: str) -> Workflow:
    wf = find_workflow(kind, None)
    if wf is not None:
        return wf
    name, roles = DEFAULTS[kind]
    wf = Workflow.objects.filter(doc_type=kind, name=name).first()
    if wf is None:
        wf = Workflow.objects.create(doc_type=kind, name=name, priority=0)
        s = Step.objects.create(workflow=wf, level=1, name="审批", mode=MODE_ANY, timeout_hours=48)
        s.roles.set(Group.objects.filter(name__in=roles))
    return wf


def request_void(doc, user, reason: str) -> ApprovalRequest:
    from stockbook.access import policy
    from stockbook.posting.void import void_document

    if not policy.can_see_document(user, doc) or not policy.can_post(user, doc.type):
        raise DocError("not_allowed", "没有作废该单据的权限")
    _dry_run(lambda: void_document(doc.pk, user=user, reason=reason))
    return submit(workflow=_workflow("void"), doc_type=doc.type, ref=doc.ref, obj={"document": doc.pk, "reason": reason.strip()},
                  maker=user, amount=None, source="web", kind=ApprovalRequest.KIND_VOID)


def request_reopen(period: str, user, reason: str) -> ApprovalRequest:
    from stockbook.access.policy import require
    from stockbook.posting.handlers.period import reopen_period

    require(user, "period_reopen")
    if not (reason or "").strip():
        raise DocError("invalid_value", "反结账必须填写原因", field="reason")
    _dry_run(lambda: reopen_period(period, user=user, reason=reason))
    return submit(workflow=_workflow("reopen"), doc_type="period_close", ref=period, obj={"period": period, "reason": reason.strip()},
                  maker=user, amount=None, source="web", kind=ApprovalRequest.KIND_REOPEN)


def _void(req):
    from stockbook.posting.void import void_document

    p = req.document_obj
    return void_document(p["document"], user=req.maker, reason=p["reason"]).document


def _reopen(req):
    from stockbook.posting.handlers.period import reopen_period

    p = req.document_obj
    reopen_period(p["period"], user=req.maker, reason=p["reason"])
    return None


register_executor(ApprovalRequest.KIND_VOID, _void)
register_executor(ApprovalRequest.KIND_REOPEN, _reopen)
