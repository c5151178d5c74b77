"""Pages of the cases app (Chinese UI): the case list (待确认 rows red) and a case, the certification of
each ledger pair per period, the month-end close checklist. Every page needs the ``reconcile`` right;
refusals (wrong status, segregation of duties, bad input) come back as a message, nothing written."""
import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stockbook.access.policy import can, sees_cost, visible_warehouses
from stockbook.core.errors import DocError
from stockbook.web.views.common import paginate

from . import certify as cert_service
from . import service
from .closecheck import close_check
from .models import Case

log = logging.getLogger("stockbook.cases")
LEDGERS = list(service.LEDGER_NAMES.items())


def case_list(request):
    user = request.user
    try:
        service.sync_if_changed()
    except Exception:  # the list shows what is stored even if the engine fails
        log.exception("cases: sync on page open failed")
    qs = service.visible(user).select_related("warehouse", "assignee", "cause")
    f = {k: request.GET.get(k, "") for k in ("status", "ledger", "warehouse", "assignee", "overdue", "period")}
    if f["status"] == "active" or not f["status"]:
        qs = qs.filter(status__in=Case.ACTIVE)
    elif f["status"] in dict(Case.STATUSES):
        qs = qs.filter(status=f["status"])
    if f["ledger"] in service.LEDGER_NAMES:
        qs = qs.filter(ledger=f["ledger"])
    if f["warehouse"].isdigit():
        qs = qs.filter(warehouse_id=int(f["warehouse"]))
    elif f["warehouse"] == "none":
        qs = qs.filter(warehouse__isnull=True)
    if f["assignee"] == "me":
        qs = qs.filter(assignee=user)
    elif f["assignee"].isdigit():
        qs = qs.filter(assignee_id=int(f["assignee"]))
    if f["overdue"]:
        qs = qs.filter(status__in=Case.ACTIVE, due__lt=service.today())
    if f["period"]:
        try:
            qs = qs.filter(period=service.parse_period(f["period"]))
        except DocError as e:
            messages.error(request, e.message)
    page = paginate(request, service._red_first(qs))
    today = service.today()
    for c in page:
        c.overdue = c.status in Case.ACTIVE and c.due < today
        c.age = (today - c.first_seen).days
    User = get_user_model()
    assignees = User.objects.filter(pk__in=service.visible(user).exclude(assignee__isnull=True).values("assignee_id")).order_by("username")
    return render(request, "cases/list.html", {
        "page": page, "f": f, "statuses": Case.STATUSES, "ledgers": LEDGERS, "warehouses": visible_warehouses(user),
        "assignees": assignees, "counts": service.case_counts(user), "money": sees_cost(user)})


def _detail_context(request, c):
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document
    from stockbook.recon.models import Cause

    user = request.user
    docs = list(Document.objects.filter(pk__in=c.doc_ids).order_by("date", "id"))
    vouchers = list(Voucher.objects.filter(pk__in=c.voucher_ids).order_by("date", "id")) if service.can_read_books(user) else []
    User = get_user_model()
    people = [u for u in User.objects.filter(is_active=True).order_by("username") if can(u, "reconcile") and service.can_see(u, c)]
    today = service.today()
    return {
        "c": c, "docs": docs, "vouchers": vouchers, "events": c.events.select_related("user"),
        "comments": c.comments.select_related("user"), "causes": Cause.objects.order_by("code"), "people": people,
        "can_act": can(user, "reconcile"), "overdue": c.status in Case.ACTIVE and c.due < today, "age": (today - c.first_seen).days,
        "aging_limit": service.conf.aging_days(), "money": sees_cost(user), "key_cause_name": service._cause_name(c.key_cause),
        "resolutions": [r for r in Case.RESOLUTIONS if r[0] != Case.RES_GONE],
        "next": [(to, label) for (frm, to), label in service.TRANSITIONS.items() if frm == c.status],
    }


def case_detail(request, pk):
    try:
        c = service.get_for(request.user, pk)
    except DocError:
        raise Http404("no such case")
    return render(request, "cases/detail.html", _detail_context(request, c))


def _act(request, pk, fn):
    try:
        service.get_for(request.user, pk)
    except DocError:
        raise Http404("no such case")
    try:
        msg = fn()
        if msg:
            messages.success(request, msg)
    except DocError as e:
        if e.code == "not_allowed":
            raise
        messages.error(request, e.message)
    return redirect("cases:detail", pk=pk)


@require_POST
def case_transition(request, pk):
    p = request.POST

    def go():
        c = service.transition(pk, p.get("to", ""), request.user, resolution=p.get("resolution", ""), note=p.get("note", ""),
                               document_ref=p.get("document_ref", ""), doc_type=p.get("doc_type", ""),
                               cause=p.get("cause") if "cause" in p else None)
        msg = f"工单已改为「{c.get_status_display()}」"
        if c.status == Case.RESOLVED and c.learned_rule_id:
            msg += f"，并生成待确认规则 {c.learned_rule.code}"
        return msg
    return _act(request, pk, go)


@require_POST
def case_comment(request, pk):
    return _act(request, pk, lambda: service.comment(pk, request.user, request.POST.get("text", "")) and "评论已添加")


@require_POST
def case_assign(request, pk):
    def go():
        v = request.POST.get("assignee", "")
        User = get_user_model()
        who = User.objects.filter(pk=int(v)).first() if v.isdigit() else None
        if v and who is None:
            raise DocError("invalid_value", "请选择负责人", field="assignee")
        service.assign(pk, request.user, who)
        return "负责人已更新"
    return _act(request, pk, go)


@require_POST
def case_cause(request, pk):
    def go():
        service.set_cause(pk, request.user, request.POST.get("cause", ""))
        return "原因已更新"
    return _act(request, pk, go)


# -- certification ------------------------------------------------------------------------------------------
def _period_param(request, default):
    text = request.GET.get("period") or request.POST.get("period")
    if not text:
        return default, None
    try:
        return service.parse_period(text), None
    except DocError as e:
        return default, e.message


def certification(request):
    period, err = _period_param(request, cert_service.default_period())
    if err:
        messages.error(request, err)
    if cert_service.is_past(period):
        cert_service.auto_certify(period)
    rows = cert_service.status_for(period)
    user = request.user
    return render(request, "cases/certification.html", {
        "period": service.period_text(period), "rows": rows, "can_prepare": can(user, "reconcile") and service.can_read_books(user),
        "can_certify": can(user, "certify") and service.can_read_books(user), "user": user, "money": sees_cost(user), "past": cert_service.is_past(period),
        "as_of": service.period_end(period)})


@require_POST
def certification_action(request, action):
    period, err = _period_param(request, None)
    if err or period is None:
        messages.error(request, err or "请选择期间")
        return redirect("cases:certification")
    pair = request.POST.get("pair", "")
    try:
        if action == "prepare":
            cert_service.prepare(pair, period, request.user, request.POST.get("note", ""))
            messages.success(request, f"{pair} 已编制，等待复核签核")
        else:
            cert_service.certify(pair, period, request.user, request.POST.get("note", ""))
            messages.success(request, f"{pair} 已签核")
    except DocError as e:
        messages.error(request, e.message)
    return redirect(f"/cases/certification/?period={service.period_text(period)}")


def close_check_page(request):
    period, err = _period_param(request, cert_service.default_period())
    if err:
        messages.error(request, err)
    rep = close_check(period, user=request.user)
    by = {b["kind"]: b for b in rep["blockers"]}
    checks = [{**c, "items": by.get(c["kind"], {}).get("items", [])} for c in rep["checks"]]
    if not sees_cost(request.user):
        for c in checks:
            c["items"] = [{k: v for k, v in it.items() if k not in ("amount", "difference", "pending_amount")} for it in c["items"]]
    return render(request, "cases/close_check.html", {"rep": rep, "checks": checks, "period": rep["period"]})
