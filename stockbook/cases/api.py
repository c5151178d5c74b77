"""REST: difference cases and the close check.

- ``GET /api/cases`` (``status`` = active|open|in_progress|resolved|closed|all, ``ledger``, ``warehouse`` (code),
  ``period`` YYYY-MM, ``overdue`` = 1, ``limit``, ``offset``) → {"count", "results": [case…]}, 待确认 first.
- ``GET /api/cases/{id}`` → the case with its comments and history.
- ``POST /api/cases/{id}/transition`` {"to", "resolution"?, "note"?, "document_ref"?, "doc_type"?, "cause"?}
- ``POST /api/cases/{id}/comments`` {"text"}
- ``GET /api/close-check?period=YYYY-MM`` → the close-check report (same JSON as the CLI).
Rights: ``reconcile`` for everything; a case outside the caller's data scope is 404. Refusals are 422
{"error", "message"} (403 for not_allowed), nothing written. Writes accept an ``Idempotency-Key``."""
from ninja import Router

from stockbook.access.policy import require, sees_cost
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money
from stockbook.interchange.api_common import (IDEMPOTENCY_PARAM, check_text, idempotent, json_response, not_found,
                                              read_json_body, run_write)

from . import service
from .models import Case

router = Router(tags=["cases"])


def _case_json(c: Case, user, full=False) -> dict:
    money = sees_cost(user)
    out = {"id": c.pk, "status": c.status, "status_name": c.get_status_display(), "pair_key": c.pair_key, "ledger": c.ledger,
           "account": c.account, "warehouse": c.warehouse.code if c.warehouse_id else None, "period": c.period_text,
           "as_of": c.as_of.isoformat(), "cause": c.cause_id, "engine_cause": c.key_cause or None, "cause_by_hand": c.cause_by_hand,
           "amount": fmt_money(c.amount) if money else None, "title": c.title,
           "assignee": c.assignee.get_username() if c.assignee_id else None, "due": c.due.isoformat(),
           "overdue": service.is_overdue(c), "first_seen": c.first_seen.isoformat(), "age_days": service.age_days(c),
           "refs": c.refs, "doc_ids": c.doc_ids, "voucher_ids": c.voucher_ids, "rule": c.rule, "reason": c.reason,
           "resolution": c.resolution or None, "resolution_note": c.resolution_note,
           "resolution_document": c.resolution_document_id, "resolution_approval": c.resolution_approval_id,
           "learned_rule": c.learned_rule.code if c.learned_rule_id else None,
           "created_at": c.created_at.isoformat(), "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
           "closed_at": c.closed_at.isoformat() if c.closed_at else None, "link": f"/cases/{c.pk}/"}
    if full:
        out["comments"] = [{"user": cm.user.get_username() if cm.user_id else None, "text": cm.text, "at": cm.created_at.isoformat()}
                           for cm in c.comments.select_related("user")]
        out["history"] = [{"kind": e.kind, "user": e.user.get_username() if e.user_id else None, "text": e.text,
                           "before": e.before, "after": e.after, "at": e.at.isoformat()} for e in c.events.select_related("user")]
    return out


def _get(request, case_id):
    require(request.auth, "reconcile")
    try:
        return service.get_for(request.auth, case_id)
    except DocError:
        return None


@router.get("/cases", summary="Difference cases visible to the caller (待确认 first)")
def list_cases(request, status: str = "active", ledger: str = "", warehouse: str = "", period: str = "", overdue: int = 0,
               limit: int = 100, offset: int = 0):
    require(request.auth, "reconcile")
    check_text(status, ledger, warehouse, period)
    qs = service.visible(request.auth).select_related("warehouse", "assignee", "learned_rule")
    if status == "active":
        qs = qs.filter(status__in=Case.ACTIVE)
    elif status in dict(Case.STATUSES):
        qs = qs.filter(status=status)
    elif status != "all":
        raise DocError("invalid_value", "status 应为 active、open、in_progress、resolved、closed 或 all", field="status")
    if ledger:
        qs = qs.filter(ledger=ledger)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if period:
        qs = qs.filter(period=service.parse_period(period))
    if overdue:
        qs = qs.filter(status__in=Case.ACTIVE, due__lt=service.today())
    if not (1 <= limit <= 1000) or offset < 0:
        raise DocError("invalid_value", "limit 应在 1–1000 之间，offset 不能为负", field="limit")
    qs = service._red_first(qs)
    return json_response({"count": qs.count(), "results": [_case_json(c, request.auth) for c in qs[offset:offset + limit]]})


@router.get("/cases/{case_id}", summary="One case with its comments and history")
def get_case(request, case_id: int):
    c = _get(request, case_id)
    if c is None:
        return not_found(f"工单 {case_id} 不存在")
    return json_response(_case_json(c, request.auth, full=True))


def _str(obj, key):
    v = obj.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise DocError("invalid_value", f"{key} 应为字符串", field=key)
    return v


@router.post("/cases/{case_id}/transition", summary="Change a case's status (resolve with a resolution)",
             openapi_extra={"parameters": [IDEMPOTENCY_PARAM]})
def transition(request, case_id: int):
    if _get(request, case_id) is None:
        return not_found(f"工单 {case_id} 不存在")

    def fn():
        obj = read_json_body(request)
        c = service.transition(case_id, _str(obj, "to"), request.auth, resolution=_str(obj, "resolution"), note=_str(obj, "note"),
                               document_ref=_str(obj, "document_ref"), doc_type=_str(obj, "doc_type"),
                               cause=_str(obj, "cause") if "cause" in obj else None)
        return json_response(_case_json(c, request.auth, full=True))

    return idempotent(request, lambda: run_write(fn))


@router.post("/cases/{case_id}/comments", summary="Comment on a case", openapi_extra={"parameters": [IDEMPOTENCY_PARAM]})
def add_comment(request, case_id: int):
    if _get(request, case_id) is None:
        return not_found(f"工单 {case_id} 不存在")

    def fn():
        obj = read_json_body(request)
        cm = service.comment(case_id, request.auth, _str(obj, "text"))
        return json_response({"id": cm.pk, "case": case_id, "user": request.auth.get_username(), "text": cm.text,
                              "at": cm.created_at.isoformat()}, 201)

    return idempotent(request, lambda: run_write(fn))


@router.get("/close-check", summary="Month-end close check: what blocks a clean close of a period")
def close_check(request, period: str = ""):
    require(request.auth, "reconcile")
    check_text(period)
    from .closecheck import close_check as run

    return json_response(run(service.parse_period(period), user=request.auth))
