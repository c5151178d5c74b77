"""Requests through their workflow: submit, approve, reject, 转交 (delegate), 撤回 (cancel), timeout
escalation, and the final action (posting the document through ``post()`` as its maker).

Every decision runs in one transaction on the locked request row, so two approvers (or a replayed form)
never decide the same vote twice; a refused attempt changes nothing and is written to the audit trail
(``approval_denied``). Errors are ``DocError`` with stable codes.
"""
import json
import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from stockbook import audit
from stockbook.access import policy
from stockbook.core.errors import DocError
from stockbook.core.jsonio import canonical, loads
from stockbook.core.money import fmt_money
from stockbook.notify import notify

from . import conf
from .models import MODE_ALL, ApprovalRequest, Assignee, Decision, Workflow

log = logging.getLogger("stockbook.approvals")
User = get_user_model()

# kind → fn(request) -> posting.Document | None: what the final approval does (may raise DocError)
EXECUTORS = {}


def register_executor(kind: str, fn):
    """Another app's approvals (作废/红冲 ``void``, 反结账 ``reopen``): ``fn(request)`` runs on the final
    approval, in the approving transaction (its own savepoint), as ``request.maker``; it returns the
    document it wrote (or None) or raises DocError, which marks the request failed."""
    EXECUTORS[kind] = fn


def _post_document(req):
    from stockbook.posting.service import post

    res = post(loads(req.payload), user=req.maker, source=req.source, approved=True)
    if res.posted:
        _audit_posted(res.document, res.vouchers, req.maker)
    return res.document


register_executor(ApprovalRequest.KIND_DOCUMENT, _post_document)


def _audit_posted(doc, vouchers, user):
    """The document's ``post`` entry, unless post() wrote one itself."""
    from stockbook.audit.models import AuditEntry

    if not AuditEntry.objects.filter(action="post", object_type="posting.document", object_id=str(doc.pk)).exists():
        audit.posted(doc, vouchers, user=user)


# -- which workflow ------------------------------------------------------------------------------------

def find_workflow(doc_type: str, amount: int | None, workflows=None) -> Workflow | None:
    if workflows is None:
        workflows = Workflow.objects.filter(doc_type=doc_type, active=True).order_by("-priority", "id")
    return next((w for w in workflows if w.matches(amount) and w.steps.exists()), None)


# -- who approves ----------------------------------------------------------------------------------------

def self_approval_allowed() -> bool:
    return conf.allow_self_approval()


def _payload_warehouses(req) -> set[str]:
    obj = req.document_obj
    codes = {obj.get("warehouse")}
    for ln in obj.get("lines") or []:
        if isinstance(ln, dict):
            codes |= {ln.get("warehouse"), ln.get("to_warehouse")}
    return {c for c in codes if isinstance(c, str)}


def eligible(req, user) -> bool:
    """May ``user`` hold a vote on ``req`` at all: active, the 审批 right, not its maker (unless
    self-approval is allowed), and the document's warehouses inside their data scope."""
    if user is None or not user.is_active or not policy.can(user, "approve"):
        return False
    if user.pk == req.maker_id and not self_approval_allowed():
        return False
    codes = policy.warehouse_codes(user)
    return codes is None or _payload_warehouses(req) <= codes


def _resolve(req, roles=(), users=()) -> list:
    qs = User.objects.filter(is_active=True)
    found = {u.pk: u for u in qs.filter(groups__in=list(roles))} if roles else {}
    if users:
        found.update({u.pk: u for u in qs.filter(pk__in=list(users))})
    return [u for _pk, u in sorted(found.items()) if eligible(req, u)]


def pending_rows(req, level=None):
    return req.assignees.filter(level=req.current_level if level is None else level, state=Assignee.PENDING)


def current_approvers(req) -> list:
    return [a.user for a in pending_rows(req).select_related("user")] if req.is_pending else []


# -- submit ---------------------------------------------------------------------------------------------------

def submit(*, workflow: Workflow, doc_type: str, ref: str, obj, maker, amount: int | None, source: str = "web",
           kind: str = ApprovalRequest.KIND_DOCUMENT, now=None) -> ApprovalRequest:
    """A new pending request for ``obj`` (an interchange document, or for another kind whatever its
    executor needs). The same content submitted again while pending → the same request; other content
    under a ref already in approval → ``duplicate_ref``."""
    now = now or timezone.now()
    payload = json.dumps(obj, ensure_ascii=False)
    existing = _pending_for(kind, doc_type, ref)
    if existing is not None:
        return _same_or_duplicate(existing, obj, ref)
    try:
        with transaction.atomic():
            req = ApprovalRequest.objects.create(
                kind=kind, doc_type=doc_type, ref=ref or "", payload=payload, amount=amount, maker=maker, source=source,
                workflow=workflow, workflow_name=workflow.name, steps=workflow.snapshot(), current_level=1,
                level_started_at=now, created_at=now)
            audit.record("submit", req, user=maker, object_repr=req.title,
                         after={"workflow": workflow.name, "amount": _yuan(amount), "levels": req.levels, "source": source})
            _enter_level(req, 1, now, event="approval.requested")
    except IntegrityError:  # a concurrent submission of the same ref won
        existing = _pending_for(kind, doc_type, ref)
        if existing is None:
            raise
        return _same_or_duplicate(existing, obj, ref)
    return req


def _pending_for(kind, doc_type, ref):
    return ApprovalRequest.objects.filter(kind=kind, doc_type=doc_type, ref=ref or "", status=ApprovalRequest.PENDING).first()


def _same_or_duplicate(existing, obj, ref):
    if canonical(loads(existing.payload)) == canonical(obj):
        return existing
    raise DocError("duplicate_ref", _("Document %(ref)s is already waiting for approval with other content.") % {"ref": ref},
                   field="ref")


def _enter_level(req, level, now, event):
    """Make ``level`` current and give its approvers their votes; a level nobody can approve is passed
    on to the next one (recorded), the last one waits for an administrator to 转交 it."""
    while True:
        step = req.step(level)
        req.current_level, req.level_started_at, req.escalated = level, now, False
        users = _resolve(req, step["roles"], step["users"]) if step else []
        if users or step is None or level >= req.levels:
            break
        Decision.objects.create(request=req, level=level, action=Decision.ESCALATE, at=now,
                                comment=_("No one can approve level %(level)s; passed on to level %(next)s.") % {"level": level, "next": level + 1})
        level += 1
    req.save(update_fields=["current_level", "level_started_at", "escalated"])
    Assignee.objects.bulk_create([Assignee(request=req, level=level, user=u) for u in users])
    if users:
        _tell(event, users, req, _("Approval needed: %(title)s") % {"title": req.title}, _summary(req, False),
              price_body=_summary(req, True))
    else:
        admins = [u for u in User.objects.filter(is_active=True) if policy.can(u, "manage_access")]
        _tell("approval.requested", admins, req, _("No approver for %(title)s") % {"title": req.title},
              _("Level %(level)s of workflow %(wf)s has no one who may approve it; delegate it to an approver.")
              % {"level": level, "wf": req.workflow_name})
    return users


# -- decisions ---------------------------------------------------------------------------------------------------

def check_signature(user, password) -> None:
    """电子签名: the user's own password, entered again."""
    if not password or not _password_ok(user, password):
        raise DocError("signature_invalid")


def _password_ok(user, password) -> bool:
    if user.has_usable_password():
        return user.check_password(password)
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.AUTHENTICATION_BACKENDS:  # an LDAP account checks with its directory
        if "ldap" in path.lower():
            try:
                if import_string(path)().authenticate(None, username=user.get_username(), password=password) is not None:
                    return True
            except Exception:  # noqa: BLE001 — directory unreachable: not a valid signature
                log.warning("e-signature: LDAP check failed for %s", user.get_username(), exc_info=True)
    return False


def _locked(pk) -> ApprovalRequest:
    req = ApprovalRequest.objects.select_for_update().filter(pk=pk).first()
    if req is None:
        raise DocError("unknown_reference", _("No such approval request."))
    return req


def _check_open(req, level):
    if not req.is_pending or (level is not None and str(level) != str(req.current_level)):
        raise DocError("approval_closed")


def _my_row(req, user) -> Assignee:
    if not policy.can(user, "approve"):
        raise DocError("not_allowed", _("You do not have the right to approve."))
    if user.pk == req.maker_id and not self_approval_allowed():
        raise DocError("segregation_of_duties")
    row = pending_rows(req).filter(user=user).first()
    if row is None:
        raise DocError("not_approver")
    return row


def _denied(pk, user, action, e: DocError):
    log.warning("approval %s: %s by %s refused: %s", pk, action, getattr(user, "username", user), e.code)
    try:
        with transaction.atomic():
            audit.record("approval_denied", user=user, object_type="approvals.approvalrequest", object_id=str(pk),
                         object_repr=f"审批单 {pk}", after={"action": action, "error": e.code}, remark=e.message)
    except Exception:  # noqa: BLE001 — the refusal stands even if it cannot be logged
        log.exception("could not record a refused approval")


def _guard(action):
    def deco(fn):
        def inner(pk, user, *args, **kwargs):
            pk = getattr(pk, "pk", pk)
            try:
                with transaction.atomic():
                    return fn(_locked(pk), user, *args, **kwargs)
            except DocError as e:
                _denied(pk, user, action, e)
                raise
        inner.__name__, inner.__doc__ = fn.__name__, fn.__doc__
        return inner
    return deco


@_guard("approve")
def approve(req, user, password, comment="", level=None, now=None) -> ApprovalRequest:
    """Approve the user's vote at the current level (password re-entered). The level is done when one
    approver (或签, or after an escalation to a role) or all of them (会签) have approved; the last level
    done → the document is posted as its maker: ``approved``, or ``failed`` with the posting error."""
    now = now or timezone.now()
    _check_open(req, level)
    row = _my_row(req, user)
    check_signature(user, password)
    row.state, row.decided_at = Assignee.APPROVED, now
    row.save(update_fields=["state", "decided_at"])
    Decision.objects.create(request=req, level=req.current_level, user=user, action=Decision.APPROVE, comment=comment or "",
                            signed=True, at=now)
    audit.record("approve", req, user=user, object_repr=req.title, before={"status": req.status, "level": req.current_level},
                 after={"level": req.current_level, "signed": True}, remark=comment or "")
    step = req.step() or {}
    left = pending_rows(req)
    if step.get("mode") == MODE_ALL and not req.escalated and left.exists():
        return req
    left.update(state=Assignee.SKIPPED, decided_at=now)
    if req.current_level < req.levels:
        _enter_level(req, req.current_level + 1, now, event="approval.requested")
        return req
    _finish(req, now)
    return req


def _finish(req, now):
    """The final approval: run the request's action (post the document) in a savepoint."""
    executor = EXECUTORS.get(req.kind)
    try:
        if executor is None:
            raise DocError("invalid_value", f"unknown approval kind {req.kind}")
        with transaction.atomic():
            doc = executor(req)
    except DocError as e:
        req.status, req.error_code, req.error_message = ApprovalRequest.FAILED, e.code, e.message
        req.decided_at = now
        req.save(update_fields=["status", "error_code", "error_message", "decided_at"])
        audit.record("approval_failed", req, user=None, object_repr=req.title, after={"error": e.code}, remark=e.message)
        _tell("approval.failed", [req.maker], req, _("%(title)s was approved but could not be posted") % {"title": req.title},
              _("Error: %(message)s (%(code)s)\nCorrect the document and submit it again.") % {"message": e.message, "code": e.code})
        return
    req.status, req.document, req.decided_at = ApprovalRequest.APPROVED, doc, now
    req.save(update_fields=["status", "document", "decided_at"])
    _tell("approval.approved", [req.maker], req, _("%(title)s approved") % {"title": req.title},
          _("Approved and posted.") if doc is not None else _("Approved."),
          link=reverse("web:document_detail", args=[doc.pk]) if doc is not None and req.kind == req.KIND_DOCUMENT else None)


@_guard("reject")
def reject(req, user, password, reason, level=None, now=None) -> ApprovalRequest:
    """Reject (password re-entered, reason required): the request ends ``rejected``, nothing is posted,
    the maker is told why."""
    now = now or timezone.now()
    _check_open(req, level)
    reason = (reason or "").strip()
    row = _my_row(req, user)
    if not reason:
        raise DocError("invalid_value", _("Enter the reason for rejecting."), field="comment")
    check_signature(user, password)
    row.state, row.decided_at = Assignee.REJECTED, now
    row.save(update_fields=["state", "decided_at"])
    pending_rows(req).update(state=Assignee.SKIPPED, decided_at=now)
    Decision.objects.create(request=req, level=req.current_level, user=user, action=Decision.REJECT, comment=reason,
                            signed=True, at=now)
    req.status, req.decided_at = ApprovalRequest.REJECTED, now
    req.save(update_fields=["status", "decided_at"])
    audit.record("reject", req, user=user, object_repr=req.title, before={"status": "pending", "level": req.current_level},
                 after={"status": "rejected"}, remark=reason)
    _tell("approval.rejected", [req.maker], req, _("%(title)s rejected") % {"title": req.title},
          _("Reason: %(reason)s\nRejected by: %(user)s") % {"reason": reason, "user": _name(user)})
    return req


@_guard("delegate")
def delegate(req, user, password, to_user, comment="", level=None, now=None) -> ApprovalRequest:
    """转交: hand the user's vote at the current level to ``to_user``, who becomes an approver of this
    step. An administrator (维护角色) may also hand the level to someone when no one holds it."""
    now = now or timezone.now()
    _check_open(req, level)
    row = pending_rows(req).filter(user=user).first() if user is not None else None
    admin = row is None and policy.can(user, "manage_access") and not pending_rows(req).exists()
    if row is None and not admin:
        _my_row(req, user)  # raises the reason
    check_signature(user, password)
    if isinstance(to_user, (int, str)):
        to_user = User.objects.filter(pk=to_user).first() if str(to_user).isdigit() else None
    if to_user is None or to_user.pk == user.pk:
        raise DocError("invalid_value", _("Choose the person to hand it to."), field="to_user")
    if to_user.pk == req.maker_id and not self_approval_allowed():
        raise DocError("segregation_of_duties", _("The maker of a document cannot approve it."), field="to_user")
    if not eligible(req, to_user):
        raise DocError("not_approver", _("%(user)s may not approve this document (the 审批 right or data scope).") % {"user": _name(to_user)},
                       field="to_user")
    if pending_rows(req).filter(user=to_user).exists():
        raise DocError("invalid_value", _("%(user)s is already an approver of this step.") % {"user": _name(to_user)}, field="to_user")
    if row is not None:
        row.state, row.decided_at = Assignee.DELEGATED, now
        row.save(update_fields=["state", "decided_at"])
    new, _created = Assignee.objects.update_or_create(request=req, level=req.current_level, user=to_user,
                                                      defaults={"state": Assignee.PENDING, "delegated_from": user, "decided_at": None})
    Decision.objects.create(request=req, level=req.current_level, user=user, action=Decision.DELEGATE, to_user=to_user,
                            comment=comment or "", signed=True, at=now)
    audit.record("delegate", req, user=user, object_repr=req.title, before={"approver": user.get_username()},
                 after={"approver": to_user.get_username(), "level": req.current_level}, remark=comment or "")
    _tell("approval.delegated", [to_user], req, _("Approval handed to you: %(title)s") % {"title": req.title},
          _("%(user)s handed their approval to you.") % {"user": _name(user)} + (f"\n{comment}" if comment else ""))
    return req


@_guard("cancel")
def cancel(req, user, level=None, now=None) -> ApprovalRequest:
    """撤回: the maker withdraws a pending request."""
    now = now or timezone.now()
    _check_open(req, None)
    if user.pk != req.maker_id:
        raise DocError("not_allowed", _("Only the maker can withdraw the request."))
    waiting = current_approvers(req)
    pending_rows(req).update(state=Assignee.SKIPPED, decided_at=now)
    Decision.objects.create(request=req, level=req.current_level, user=user, action=Decision.CANCEL, at=now)
    req.status, req.decided_at = ApprovalRequest.CANCELLED, now
    req.save(update_fields=["status", "decided_at"])
    audit.record("cancel", req, user=user, object_repr=req.title, before={"status": "pending"}, after={"status": "cancelled"})
    _tell("approval.cancelled", waiting, req, _("%(title)s withdrawn") % {"title": req.title},
          _("%(user)s withdrew the request.") % {"user": _name(user)})
    return req


# -- timeouts --------------------------------------------------------------------------------------------------------

def overdue(now=None) -> list[ApprovalRequest]:
    now = now or timezone.now()
    out = []
    for req in ApprovalRequest.objects.filter(status=ApprovalRequest.PENDING, escalated=False).order_by("id"):
        hours = (req.step() or {}).get("timeout_hours")
        if hours and req.level_started_at + timedelta(hours=hours) <= now:
            out.append(req)
    return out


def escalate_overdue(now=None) -> list[dict]:
    """Escalate every request whose current level is past its timeout: to the step's escalation role
    (its members then decide, any one of them), else to the next level. → what was done, one dict each."""
    now = now or timezone.now()
    done = []
    for req in overdue(now):
        try:
            with transaction.atomic():
                r = ApprovalRequest.objects.select_for_update().get(pk=req.pk)
                step = r.step() or {}
                hours = step.get("timeout_hours")
                if not r.is_pending or r.escalated or not hours or r.level_started_at + timedelta(hours=hours) > now:
                    continue  # decided or escalated meanwhile
                out = _escalate(r, step, now)
                if out:
                    done.append(out)
        except Exception:  # noqa: BLE001 — one bad request must not stop the others
            log.exception("escalating approval request %s failed", req.pk)
    return done


def _escalate(req, step, now) -> dict | None:
    from django.contrib.auth.models import Group

    level, hours = req.current_level, step["timeout_hours"]
    waiting = current_approvers(req)
    role = Group.objects.filter(pk=step.get("escalate_to_role")).first() if step.get("escalate_to_role") else None
    if role is not None:
        users = [u for u in _resolve(req, roles=[role.pk]) if u.pk not in {w.pk for w in waiting}]
        if users:
            pending_rows(req).update(state=Assignee.ESCALATED, decided_at=now)
            for u in users:
                Assignee.objects.update_or_create(request=req, level=level, user=u,
                                                  defaults={"state": Assignee.PENDING, "decided_at": None, "delegated_from": None})
            req.escalated = True
            req.save(update_fields=["escalated"])
            text = _("No decision within %(hours)s hours; escalated to %(role)s.") % {"hours": hours, "role": role.name}
            Decision.objects.create(request=req, level=level, action=Decision.ESCALATE, comment=text, at=now)
            audit.record("escalate", req, user=None, object_repr=req.title, before={"level": level, "approvers": _names(waiting)},
                         after={"level": level, "role": role.name, "approvers": _names(users)}, remark=text)
            _tell("approval.escalated", users + [req.maker], req, _("Escalated: %(title)s") % {"title": req.title}, text)
            return {"request": req.pk, "level": level, "to": role.name}
    if level < req.levels:
        pending_rows(req).update(state=Assignee.ESCALATED, decided_at=now)
        text = _("No decision within %(hours)s hours; passed on to level %(next)s.") % {"hours": hours, "next": level + 1}
        Decision.objects.create(request=req, level=level, action=Decision.ESCALATE, comment=text, at=now)
        audit.record("escalate", req, user=None, object_repr=req.title, before={"level": level, "approvers": _names(waiting)},
                     after={"level": level + 1}, remark=text)
        users = _enter_level(req, level + 1, now, event="approval.escalated")
        _tell("approval.escalated", [req.maker], req, _("Escalated: %(title)s") % {"title": req.title}, text)
        return {"request": req.pk, "level": level, "to": req.current_level, "approvers": _names(users)}
    req.escalated = True  # the last level with nowhere to go: remind once, never again
    req.save(update_fields=["escalated"])
    _tell("approval.escalated", waiting, req, _("Overdue: %(title)s") % {"title": req.title},
          _("No decision within %(hours)s hours.") % {"hours": hours})
    return None


# -- reading ----------------------------------------------------------------------------------------------------------

def todo(user):
    """Requests waiting for this user's vote."""
    return (ApprovalRequest.objects.filter(status=ApprovalRequest.PENDING, assignees__user=user, assignees__state=Assignee.PENDING)
            .distinct().select_related("maker").order_by("created_at", "id"))


def todo_count(user) -> int:
    return todo(user).count()


def submitted(user):
    return ApprovalRequest.objects.filter(maker=user).select_related("maker", "document")


def handled(user):
    """Requests this user has decided (approved, rejected, handed on)."""
    return (ApprovalRequest.objects.filter(decisions__user=user, decisions__action__in=[Decision.APPROVE, Decision.REJECT, Decision.DELEGATE])
            .distinct().select_related("maker", "document"))


def can_view(req, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or req.maker_id == user.pk or policy.can(user, "manage_access"):
        return True
    return req.assignees.filter(user=user).exists() or req.decisions.filter(user=user).exists()


# -- helpers -------------------------------------------------------------------------------------------------------------

def _name(u) -> str:
    if u is None:
        return _("the system")
    full = f"{u.last_name}{u.first_name}".strip()
    return f"{full}（{u.get_username()}）" if full else u.get_username()


def _names(users) -> list[str]:
    return [u.get_username() for u in users]


def _yuan(fen):
    return None if fen is None else fmt_money(fen)


def _summary(req, with_amount: bool) -> str:
    parts = [_("Submitted by: %(user)s") % {"user": _name(req.maker)}]
    if req.amount is not None and with_amount:
        parts.append(_("Amount: %(amount)s") % {"amount": fmt_money(req.amount)})
    parts.append(_("Workflow: %(wf)s, level %(level)s of %(levels)s") % {"wf": req.workflow_name, "level": req.current_level,
                                                                       "levels": req.levels})
    return "\n".join(parts)


def _tell(event, users, req, title, body, link=None, price_body=None):
    """Notify ``users`` (one message each, one per robot); the body with the amount (``price_body``) only
    when every recipient may see prices."""
    users = list({u.pk: u for u in users if u is not None}.values())
    if not users:
        return
    if price_body is not None and all(policy.sees_price(u) for u in users):
        body = price_body
    notify(event, recipients=users, title=title, body=body, link=link or req.get_absolute_url(),
           payload={"approval": req.pk, "type": req.doc_type, "ref": req.ref, "level": req.current_level, "status": req.status})
