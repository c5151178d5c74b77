"""Difference cases: kept in step with the reconciliation engine (``sync``), visible by data scope
(``visible``, ``open_cases_for``), moved through their statuses (``transition``), commented, assigned,
escalated when overdue or aged. See docs/cases.md."""
import calendar
import logging
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case as When_, IntegerField, Q, Value, When
from django.utils import timezone

from stockbook import audit
from stockbook.access.policy import can, can_read_books, warehouse_ids
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money, to_fen
from stockbook.recon.engine import LEDGER_NAMES

from . import conf
from .models import AssignmentRule, Case, CaseComment, CaseEvent, SyncState

log = logging.getLogger("stockbook.cases")

STATUS_NAMES = dict(Case.STATUSES)


# -- periods -------------------------------------------------------------------------------------------
def period_of(d: date) -> int:
    return d.year * 100 + d.month


def period_end(period: int) -> date:
    y, m = divmod(period, 100)
    return date(y, m, calendar.monthrange(y, m)[1])


def period_text(period: int) -> str:
    return f"{period // 100:04d}-{period % 100:02d}"


def parse_period(text) -> int:
    """'2026-03' → 202603; anything else → DocError invalid_value (Chinese message)."""
    import re

    s = str(text or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})", s)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise DocError("invalid_value", f"期间格式应为 YYYY-MM（例如 2026-03），而不是「{s}」", field="period")
    return int(m.group(1)) * 100 + int(m.group(2))


def today() -> date:
    return timezone.localdate()


def fen(s) -> int:
    return to_fen(Decimal(str(s)))


# -- who sees what ---------------------------------------------------------------------------------------
def may_use_cases(user) -> bool:
    return can(user, "reconcile") or can(user, "view_books")


def visible(user, qs=None):
    """Cases the user may see: warehouse cases in their data scope; cases without a warehouse (the books'
    pairs are whole-company) only for users who may read the books."""
    qs = Case.objects.all() if qs is None else qs
    if user is None:
        return qs
    if not may_use_cases(user):
        return qs.none()
    ids = warehouse_ids(user)
    q = Q(warehouse__isnull=False) if ids is None else Q(warehouse_id__in=ids)
    if can_read_books(user):
        q |= Q(warehouse__isnull=True)
    return qs.filter(q)


def can_see(user, case: Case) -> bool:
    if user is None:
        return True
    if not may_use_cases(user):
        return False
    if case.warehouse_id is None:
        return can_read_books(user)
    ids = warehouse_ids(user)
    return ids is None or case.warehouse_id in ids


def _red_first(qs):
    return qs.annotate(_red=When_(When(status=Case.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
                       ).order_by("_red", "due", "id")


def open_cases_for(user):
    """The user's visible open and in-progress cases, 待确认 first (then by due date)."""
    return _red_first(visible(user).filter(status__in=Case.ACTIVE)).select_related("warehouse", "assignee", "cause")


def case_counts(user) -> dict:
    out = {s: 0 for s, _ in Case.STATUSES}
    from django.db.models import Count

    for r in visible(user).values("status").annotate(n=Count("id")):
        out[r["status"]] = r["n"]
    return out


# -- people ---------------------------------------------------------------------------------------------
def holders(cap: str):
    """Active users holding an access capability (through a group or directly), superusers last."""
    User = get_user_model()
    return (User.objects.filter(Q(groups__permissions__codename=cap, groups__permissions__content_type__app_label="access")
                                | Q(user_permissions__codename=cap, user_permissions__content_type__app_label="access"),
                                is_active=True).distinct().order_by("is_superuser", "id"))


def _covers(user, warehouse_id) -> bool:
    ids = warehouse_ids(user)
    return ids is None or (warehouse_id is not None and warehouse_id in ids)


def assignee_for(account: str, warehouse_id) -> object | None:
    """The most specific AssignmentRule (account prefix, warehouse) wins; without one the first user who holds
    ``certify`` and whose scope covers the case, else a member of the 财务 role, else nobody."""
    best, score = None, -1
    for r in AssignmentRule.objects.select_related("user").filter(Q(warehouse_id=warehouse_id) | Q(warehouse__isnull=True)):
        if r.account and not account.startswith(r.account):
            continue
        if not r.user.is_active:
            continue
        s = (2 if r.warehouse_id else 0) + (len(r.account) and 1)
        if s > score or (s == score and len(r.account) > len(best.account)):
            best, score = r, s
    if best is not None:
        return best.user
    for u in holders("certify"):
        if _covers(u, warehouse_id) and not u.is_superuser:
            return u
    User = get_user_model()
    for u in User.objects.filter(groups__name="财务", is_active=True).order_by("id"):
        if _covers(u, warehouse_id):
            return u
    return None


# -- history ----------------------------------------------------------------------------------------------
def _event(case, kind, user=None, text="", before=None, after=None, audit_action=None):
    CaseEvent.objects.create(case=case, kind=kind, user=user if getattr(user, "pk", None) else None, text=text,
                             before=before, after=after)
    audit.record(audit_action or f"case_{kind}", case, user=user, before=before, after=after, remark=text,
                 object_repr=str(case)[:200])


def _notify(event, case, recipients, title, body):
    from stockbook.notify import notify

    rec = [u for u in {getattr(u, "pk", u): u for u in recipients if u is not None}.values()]
    if rec:
        notify(event, recipients=rec, title=title, body=body, link=f"/cases/{case.pk}/",
               payload={"case": case.pk, "pair": case.pair_key, "period": case.period, "amount": fmt_money(case.amount)})


# -- the engine's expectation ------------------------------------------------------------------------------
def _cause_name(code):
    if not code:
        return "未解释差异"
    from stockbook.recon.causes import name_of
    from stockbook.recon.models import Cause

    c = Cause.objects.filter(pk=code).values_list("name", flat=True).first()
    return c or name_of(code)


def expected(pairs_json: list[dict], period: int) -> dict:
    """{(pair_key, warehouse_id, cause code or ""): spec} from the engine's pairs: the attributed parts per
    cause and warehouse of the difference items, and the unexplained rest (difference − parts)."""
    out: dict = {}
    for p in pairs_json:
        gl, sub = fen(p["gl"]), fen(p["subledger"])
        groups: dict = {}
        for it in p.get("items", []):
            amt = fen(it["amount"])
            if not amt:
                continue
            k = (it.get("cause") or "", it.get("warehouse_id"))
            g = groups.setdefault(k, {"amount": 0, "refs": [], "doc_ids": [], "voucher_ids": [], "rules": [], "reasons": [], "items": []})
            g["amount"] += amt
            for lst, new in ((g["refs"], it.get("refs", [])), (g["doc_ids"], it.get("doc_ids", [])), (g["voucher_ids"], it.get("voucher_ids", []))):
                lst.extend(x for x in new if x not in lst)
            if it.get("rule") and it["rule"] not in g["rules"]:
                g["rules"].append(it["rule"])
            if it.get("reason"):
                g["reasons"].append(it["reason"])
            g["items"].append({"amount": it["amount"], "rule": it.get("rule"), "reason": it.get("reason", ""),
                               "refs": it.get("refs", []), "features": it.get("features", {})})
        itemized_unexplained = sum(g["amount"] for (c, _), g in groups.items() if not c)
        rest = fen(p["unexplained"]) - itemized_unexplained
        if rest:
            g = groups.setdefault(("", None), {"amount": 0, "refs": [], "doc_ids": [], "voucher_ids": [], "rules": [], "reasons": [], "items": []})
            g["amount"] += rest
            g["reasons"].append(f"总账与明细账之差中有 {fmt_money(rest)} 没有对应的差异明细")
        for (cause, wh), g in groups.items():
            if not g["amount"]:
                continue
            out[(p["key"], wh, cause)] = {**g, "pair_key": p["key"], "ledger": p["ledger"], "account": p["account"],
                                         "name": p.get("name", ""), "cause": cause, "warehouse_id": wh, "gl": gl, "sub": sub,
                                         "period": period}
    return out


def _title(spec, period) -> str:
    from stockbook.masterdata.models import Warehouse

    wh = ""
    if spec["warehouse_id"]:
        wh = " · " + (Warehouse.objects.filter(pk=spec["warehouse_id"]).values_list("name", flat=True).first() or "")
    return (f"{period_text(period)} {LEDGER_NAMES.get(spec['ledger'], spec['ledger'])} {spec['account']} {spec['name']}{wh}"
            f" · {_cause_name(spec['cause'])}")[:200]


def _first_seen(spec, period, as_of) -> date:
    """The difference was already open in an earlier period (same pair, warehouse, cause, not closed by a
    person): it keeps its age."""
    prev = (Case.objects.filter(pair_key=spec["pair_key"], warehouse_id=spec["warehouse_id"], key_cause=spec["cause"],
                                period__lt=period).exclude(status=Case.CLOSED, closed_by__isnull=False)
            .order_by("-period").values_list("first_seen", flat=True).first())
    seen = min(as_of, today())
    return min(prev, seen) if prev else seen


def _sync_as_of(as_of: date) -> date:
    """A period's cases follow the latest date synced in it: syncing an earlier date of the same period
    syncs that later date instead (so the figures never go back in time)."""
    later = (SyncState.objects.filter(as_of__gt=as_of, as_of__lte=period_end(period_of(as_of)))
             .order_by("-as_of").values_list("as_of", flat=True).first())
    return later or as_of


def sync(as_of: date | None = None, *, auto_certify_past=True) -> dict:
    """Compare the engine's maintained result at ``as_of`` (default today) with the period's cases: create a
    case for every new material part, update the amount and documents of existing ones in place, close the
    ones whose difference disappeared. → {"as_of", "period", "created", "updated", "closed", "certified"}."""
    from stockbook.recon.service import current

    as_of = _sync_as_of(as_of or today())
    period = period_of(as_of)
    res = current(as_of)
    exp = expected(res["data"], period)
    with transaction.atomic():
        # one sync per date at a time (PostgreSQL: the row lock; SQLite: writers are serial anyway)
        st, _ = SyncState.objects.get_or_create(as_of=as_of)
        SyncState.objects.select_for_update().filter(pk=st.pk).first()
        internal = Case.objects.exclude(pair_key__startswith="extgl:").exclude(pair_key__startswith="wms:")
        created, updated, closed = apply_expected(exp, internal, period, as_of, "gl")
        SyncState.objects.update_or_create(as_of=as_of, defaults={"computed_at": res["computed_at"]})
    certified = []
    if auto_certify_past and as_of == period_end(period) and as_of < today():
        from .certify import auto_certify

        certified = auto_certify(period, pairs_json=res["data"])
    return {"as_of": as_of.isoformat(), "period": period_text(period), "created": created, "updated": updated,
            "closed": closed, "certified": certified}


def apply_expected(exp: dict, cases, period: int, as_of: date, base: str) -> tuple[list, list, list]:
    """Bring the open cases of ``period`` among ``cases`` in line with ``exp`` (from ``expected``): update in
    place, create the material new ones (measured against ``spec[base]``: "gl" or "sub"), close the ones no
    longer there. Must run in a transaction. → (created, updated, closed) ids."""
    from stockbook.recon.service import is_material

    created, updated, closed = [], [], []
    live = {(c.pair_key, c.warehouse_id, c.key_cause): c
            for c in cases.select_for_update().filter(period=period).exclude(status=Case.CLOSED)}
    for key, spec in sorted(exp.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2])):
        c = live.pop(key, None)
        if c is not None:
            if _update(c, spec, as_of):
                updated.append(c.pk)
            continue
        if not is_material(spec["amount"], spec[base], spec["account"] or "1405", spec["warehouse_id"]):
            continue
        last = (Case.objects.filter(pair_key=key[0], warehouse_id=key[1], key_cause=key[2], period=period, status=Case.CLOSED)
                .order_by("-id").first())
        if last is not None and last.amount == spec["amount"] and last.closed_by_id is not None:
            continue  # closed by a person at this very amount: dealt with
        created.append(_create(spec, period, as_of).pk)
    for c in live.values():
        _auto_close(c, as_of)
        closed.append(c.pk)
    return created, updated, closed


def _create(spec, period, as_of) -> Case:
    from stockbook.recon.models import Cause

    cause = spec["cause"] if spec["cause"] and Cause.objects.filter(pk=spec["cause"]).exists() else None
    assignee = assignee_for(spec["account"], spec["warehouse_id"])
    c = Case.objects.create(
        status=Case.OPEN, pair_key=spec["pair_key"], ledger=spec["ledger"], account=spec["account"],
        warehouse_id=spec["warehouse_id"], period=period, as_of=as_of, key_cause=spec["cause"], cause_id=cause,
        amount=spec["amount"], gl=spec["gl"], sub=spec["sub"], title=_title(spec, period), assignee=assignee,
        due=today() + timedelta(days=conf.due_days()), refs=sorted(spec["refs"]), doc_ids=sorted(spec["doc_ids"]),
        voucher_ids=sorted(spec["voucher_ids"]), rule=",".join(spec["rules"])[:40], reason="\n".join(spec["reasons"]),
        items=spec["items"], first_seen=_first_seen(spec, period, as_of))
    _event(c, "created", None, f"对账差异 {fmt_money(c.amount)} 超过重要性阈值，自动生成工单",
           after={"amount": fmt_money(c.amount), "assignee": assignee.get_username() if assignee else None, "due": c.due.isoformat()})
    _notify("reconcile.case_opened", c, [assignee], f"新差异工单：{c.title}",
            f"金额：{fmt_money(c.amount)}\n原因：{_cause_name(c.key_cause)}\n到期日：{c.due}\n{c.reason}")
    return c


def _update(c: Case, spec, as_of) -> bool:
    new = {"amount": spec["amount"], "gl": spec["gl"], "sub": spec["sub"], "refs": sorted(spec["refs"]),
           "doc_ids": sorted(spec["doc_ids"]), "voucher_ids": sorted(spec["voucher_ids"]),
           "rule": ",".join(spec["rules"])[:40], "reason": "\n".join(spec["reasons"]), "items": spec["items"]}
    changed = {k: v for k, v in new.items() if getattr(c, k) != v}
    if c.as_of != as_of:
        c.as_of = as_of
        c.save(update_fields=["as_of", "updated_at"])
    if not changed:
        return False
    before = {"amount": fmt_money(c.amount), "refs": c.refs}
    for k, v in changed.items():
        setattr(c, k, v)
    c.save()
    if "amount" in changed or "refs" in changed:
        _event(c, "updated", None, f"差异金额变为 {fmt_money(c.amount)}（对账日 {as_of}）", before=before,
               after={"amount": fmt_money(c.amount), "refs": c.refs})
    return True


def _auto_close(c: Case, as_of):
    before = {"status": c.status, "amount": fmt_money(c.amount)}
    c.status = Case.CLOSED
    c.closed_at = timezone.now()
    c.closed_by = None
    if not c.resolution:
        c.resolution = Case.RES_GONE
    c.amount = 0
    c.as_of = as_of
    c.save()
    _event(c, "auto_closed", None, f"对账日 {as_of} 差异已消失，工单自动关闭", before=before,
           after={"status": Case.CLOSED, "amount": "0.00"})


def sync_if_changed(as_of: date | None = None) -> dict | None:
    """For the list page: sync only when the engine's maintained result changed since the last sync (five
    small queries when nothing did)."""
    from stockbook.recon.models import Snapshot
    from stockbook.recon.service import is_stale

    as_of = _sync_as_of(as_of or today())
    snap = Snapshot.objects.filter(key="reconcile|internal|*", as_of=as_of).first()
    st = SyncState.objects.filter(as_of=as_of).first()
    if snap is not None and st is not None and st.computed_at == snap.computed_at and not is_stale(snap):
        return None
    return sync(as_of)


# -- actions of people ---------------------------------------------------------------------------------------
TRANSITIONS = {
    (Case.OPEN, Case.IN_PROGRESS): "开始处理",
    (Case.IN_PROGRESS, Case.RESOLVED): "解决",
    (Case.RESOLVED, Case.IN_PROGRESS): "重新处理",
    (Case.RESOLVED, Case.CLOSED): "关闭",
}


def _check(user, case: Case):
    if user is not None:
        if not can(user, "reconcile"):
            raise DocError("not_allowed", "您没有「对账处理」权限")
        if not can_see(user, case):
            raise DocError("not_allowed", "该工单不在您的数据范围内")


def get_for(user, pk) -> Case:
    """The case if the user may see it; DocError not_allowed otherwise (also for a missing one, so that
    ids do not leak)."""
    c = Case.objects.select_related("warehouse", "assignee", "cause").filter(pk=pk).first()
    if c is None or not can_see(user, c):
        raise DocError("not_allowed", "工单不存在或不在您的数据范围内")
    return c


def _find_resolution_document(ref: str, doc_type: str = ""):
    """(document, approval request) named by ref: a posted or draft document, else a pending approval."""
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.posting.models import Document

    ref = (ref or "").strip()
    if not ref:
        raise DocError("invalid_value", "请填写调整单据的编号", field="document_ref")
    qs = Document.objects.filter(ref=ref).exclude(status=Document.VOID)
    if doc_type:
        qs = qs.filter(type=doc_type)
    doc = qs.order_by("-id").first()
    if doc is not None:
        return doc, None
    rq = ApprovalRequest.objects.filter(ref=ref, kind=ApprovalRequest.KIND_DOCUMENT).exclude(
        status__in=[ApprovalRequest.REJECTED, ApprovalRequest.CANCELLED, ApprovalRequest.FAILED])
    if doc_type:
        rq = rq.filter(doc_type=doc_type)
    req = rq.order_by("-id").first()
    if req is not None:
        return req.document if getattr(req, "document_id", None) else None, req
    raise DocError("unknown_reference", f"找不到编号为「{ref}」的单据或审批中的单据", field="document_ref")


def transition(case_id, to: str, user, *, resolution: str = "", note: str = "", document_ref: str = "", doc_type: str = "",
               cause: str | None = None) -> Case:
    """Move a case to status ``to``. Resolving needs a resolution: ``document`` (document_ref: an approved
    adjusting document, or its pending approval request), ``rule`` (a cause chosen by hand: a proposed rule is
    learned) or ``explained`` (note required). Closing must be done by someone other than the resolver
    (unless self-approval is allowed). Refusals raise DocError and write nothing."""
    from stockbook.approvals.conf import allow_self_approval

    with transaction.atomic():
        c = Case.objects.select_for_update().filter(pk=case_id).first()
        if c is None or (user is not None and not can_see(user, c)):
            raise DocError("not_allowed", "工单不存在或不在您的数据范围内")
        _check(user, c)
        if to not in STATUS_NAMES:
            raise DocError("invalid_value", f"未知的工单状态「{to}」", field="to")
        if (c.status, to) not in TRANSITIONS:
            raise DocError("invalid_value", f"工单当前为「{STATUS_NAMES[c.status]}」，不能改为「{STATUS_NAMES[to]}」", field="to")
        before = {"status": c.status}
        now = timezone.now()
        if to == Case.RESOLVED:
            _apply_resolution(c, user, resolution, note, document_ref, doc_type, cause)
            c.resolved_at, c.resolved_by = now, user if getattr(user, "pk", None) else None
        elif to == Case.CLOSED:
            if (user is not None and c.resolved_by_id == getattr(user, "pk", None) and not allow_self_approval()):
                raise DocError("segregation_of_duties", "工单须由解决人以外的人关闭")
            c.closed_at, c.closed_by = now, user if getattr(user, "pk", None) else None
        elif to == Case.IN_PROGRESS and c.status == Case.RESOLVED:
            c.resolved_at = c.resolved_by = None
            c.resolution, c.resolution_document, c.resolution_approval, c.resolution_ref = "", None, None, ""
        c.status = to
        c.save()
        after = {"status": to}
        if to == Case.RESOLVED:
            after.update({"resolution": c.resolution, "document": c.resolution_ref or None,
                          "rule": c.learned_rule.code if c.learned_rule_id else None})
        text = f"{TRANSITIONS[(before['status'], to)]}：{STATUS_NAMES[before['status']]} → {STATUS_NAMES[to]}"
        if note:
            text += f"\n{note}"
        _event(c, "status", user, text, before=before, after=after, audit_action="case_status")
    return c


def _apply_resolution(c: Case, user, resolution, note, document_ref, doc_type, cause):
    from stockbook.recon.models import Cause

    if resolution not in (Case.RES_DOCUMENT, Case.RES_RULE, Case.RES_EXPLAINED):
        raise DocError("invalid_value", "请选择处理方式：调整单据、学习规则或已说明无需处理", field="resolution")
    if cause is not None and cause != (c.cause_id or ""):
        if cause and not Cause.objects.filter(pk=cause).exists():
            raise DocError("invalid_value", f"原因库中没有「{cause}」", field="cause")
        _set_cause(c, user, cause or None)
    if resolution == Case.RES_DOCUMENT:
        doc, req = _find_resolution_document(document_ref, doc_type)
        c.resolution_document, c.resolution_approval, c.resolution_ref = doc, req, document_ref.strip()
    elif resolution == Case.RES_RULE:
        if not c.cause_by_hand or c.cause_id is None:
            raise DocError("invalid_value", "学习规则需要人工选择（或更改）差异原因", field="cause")
    elif not (note or "").strip():
        raise DocError("invalid_value", "请填写说明", field="note")
    c.resolution, c.resolution_note = resolution, (note or "").strip()
    if c.cause_by_hand and c.cause_id:
        try:
            c.learned_rule = propose_rule(c, user)
        except DocError:
            if resolution == Case.RES_RULE:
                raise  # other resolutions do without a rule when the items have nothing to learn from


def _set_cause(c: Case, user, code):
    before = {"cause": c.cause_id}
    c.cause_id = code
    c.cause_by_hand = (code or "") != c.key_cause
    _event(c, "cause", user, f"原因改为「{_cause_name(code)}」", before=before, after={"cause": code}, audit_action="case_cause")


def set_cause(case_id, user, code) -> Case:
    from stockbook.recon.models import Cause

    with transaction.atomic():
        c = Case.objects.select_for_update().filter(pk=case_id).first()
        if c is None:
            raise DocError("not_allowed", "工单不存在或不在您的数据范围内")
        _check(user, c)
        if c.status not in Case.ACTIVE:
            raise DocError("invalid_value", f"工单「{STATUS_NAMES[c.status]}」，不能再改原因")
        if code and not Cause.objects.filter(pk=code).exists():
            raise DocError("invalid_value", f"原因库中没有「{code}」", field="cause")
        _set_cause(c, user, code or None)
        c.save()
    return c


def common_features(items: list[dict]) -> dict:
    """The features (recon/rules.py FEATURES) every difference item of the case shares, with allowed values."""
    from stockbook.recon.rules import FEATURES

    feats = [i.get("features") or {} for i in items]
    if not feats:
        return {}
    out = {}
    for k, v in feats[0].items():
        if k not in FEATURES or isinstance(v, (list, dict)):
            continue
        if all(f.get(k) == v for f in feats[1:]):
            allowed = FEATURES[k][1]
            if allowed is None or v in allowed:
                out[k] = v
    return out


def propose_rule(c: Case, user):
    """A recon.Rule learned from a case whose cause was chosen by hand: conditions = the features its
    difference items share, cause = the chosen one, proposed (inert until accepted in the rules editor)."""
    from stockbook.recon.models import Rule
    from stockbook.recon.rules import validate_conditions

    cond = common_features(c.items)
    if not cond or validate_conditions(cond):
        raise DocError("invalid_value", "该差异没有可供学习的明细特征，无法生成规则；请选择其他处理方式", field="resolution")
    existing = None  # JSON equality is not portable across databases: compare in Python
    for r in Rule.objects.filter(cause_id=c.cause_id):
        if r.conditions == cond:
            existing = r
            break
    if existing is not None:
        return existing
    order = 1000
    if c.rule:
        from stockbook.recon.models import Rule as R

        first = R.objects.filter(code__in=c.rule.split(",")).order_by("order").values_list("order", flat=True).first()
        if first is not None:
            order = first - 1  # before the rule that attributed it otherwise
    code, n = f"CASE{c.pk}", 1
    while Rule.objects.filter(code=code).exists():
        n += 1
        code = f"CASE{c.pk}-{n}"
    r = Rule.objects.create(code=code, name=f"由工单 #{c.pk} 学习：{_cause_name(c.cause_id)}"[:200], order=order, active=True,
                            proposed=True, conditions=cond, cause_id=c.cause_id, source_case_id=c.pk,
                            updated_by=user if getattr(user, "pk", None) else None)
    audit.record("create", r, user=user, after={"conditions": cond, "cause": c.cause_id, "proposed": True},
                 remark=f"由工单 #{c.pk} 学习")
    return r


def comment(case_id, user, text: str) -> CaseComment:
    text = (text or "").strip()
    with transaction.atomic():
        c = Case.objects.select_for_update().filter(pk=case_id).first()
        if c is None or (user is not None and not can_see(user, c)):
            raise DocError("not_allowed", "工单不存在或不在您的数据范围内")
        _check(user, c)
        if not text:
            raise DocError("invalid_value", "评论不能为空", field="text")
        if len(text) > 5000:
            raise DocError("invalid_value", "评论不能超过 5000 字", field="text")
        cm = CaseComment.objects.create(case=c, user=user if getattr(user, "pk", None) else None, text=text)
        _event(c, "comment", user, text, audit_action="case_comment")
    return cm


def assign(case_id, user, assignee) -> Case:
    with transaction.atomic():
        c = Case.objects.select_for_update().filter(pk=case_id).first()
        if c is None or (user is not None and not can_see(user, c)):
            raise DocError("not_allowed", "工单不存在或不在您的数据范围内")
        _check(user, c)
        if c.status == Case.CLOSED:
            raise DocError("invalid_value", "已关闭的工单不能再分派")
        if assignee is not None and (not assignee.is_active or not can(assignee, "reconcile") or not can_see(assignee, c)):
            raise DocError("invalid_value", f"{assignee.get_username()} 没有对账权限或看不到该工单", field="assignee")
        before = {"assignee": c.assignee.get_username() if c.assignee_id else None}
        c.assignee = assignee
        c.save()
        _event(c, "assigned", user, f"负责人改为 {assignee.get_username() if assignee else '（无）'}", before=before,
               after={"assignee": assignee.get_username() if assignee else None}, audit_action="case_assign")
        _notify("reconcile.case_assigned", c, [assignee], f"差异工单分派给您：{c.title}", f"金额：{fmt_money(c.amount)}\n到期日：{c.due}")
    return c


# -- escalation -------------------------------------------------------------------------------------------------
def escalate(now_date: date | None = None) -> dict:
    """Overdue active cases (due date passed) and differences older than the aging limit are escalated once
    each: the assignee and the users holding ``certify`` are notified, the case history and the audit trail
    record it."""
    d = now_date or today()
    limit = conf.aging_days()
    overdue, aged = [], []
    certifiers = list(holders("certify"))
    with transaction.atomic():
        for c in Case.objects.select_for_update().filter(status__in=Case.ACTIVE, due__lt=d, escalated_at__isnull=True):
            c.escalated_at = timezone.now()
            c.save(update_fields=["escalated_at", "updated_at"])
            _event(c, "escalated", None, f"工单已逾期（到期日 {c.due}），已升级通知", after={"due": c.due.isoformat()},
                   audit_action="case_escalate")
            _notify("reconcile.case_overdue", c, [c.assignee] + [u for u in certifiers if can_see(u, c)],
                    f"差异工单逾期：{c.title}", f"到期日：{c.due}\n金额：{fmt_money(c.amount)}\n状态：{STATUS_NAMES[c.status]}")
            overdue.append(c.pk)
        for c in Case.objects.select_for_update().filter(status__in=Case.ACTIVE, first_seen__lt=d - timedelta(days=limit),
                                                         aged_at__isnull=True):
            age = (d - c.first_seen).days
            c.aged_at = timezone.now()
            c.save(update_fields=["aged_at", "updated_at"])
            _event(c, "aged", None, f"差异已存在 {age} 天，超过账龄上限 {limit} 天，已升级通知",
                   after={"age_days": age, "limit": limit}, audit_action="case_aged")
            _notify("reconcile.case_aged", c, [c.assignee] + [u for u in certifiers if can_see(u, c)],
                    f"差异超过 {limit} 天未解决：{c.title}", f"首次出现：{c.first_seen}（{age} 天）\n金额：{fmt_money(c.amount)}")
            aged.append(c.pk)
    return {"overdue": overdue, "aged": aged}


def age_days(c: Case, d: date | None = None) -> int:
    return ((d or today()) - c.first_seen).days


def is_overdue(c: Case, d: date | None = None) -> bool:
    return c.status in Case.ACTIVE and c.due < (d or today())
