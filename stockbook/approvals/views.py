"""审批 pages: the inbox (待我审批 / 我提交的 / 已处理, cards that work on a phone), a request with its
document preview, history and the approve / reject / 转交 forms (each signed with the password), and
the workflow configuration (维护角色 right)."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import OperationalError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stockbook import audit
from stockbook.access import policy
from stockbook.core.errors import DocError
from stockbook.core.money import parse_price, parse_qty, round2

from . import service
from .forms import DecisionForm, SettingsForm, StepFormSet, WorkflowForm, _user_label, doc_type_choices
from .models import MODES, ApprovalRequest, ApprovalSettings, Step, Workflow

TABS = ("todo", "mine", "done")


@login_required
def inbox(request):
    user = request.user
    tab = request.GET.get("tab") or ("todo" if policy.can(user, "approve") else "mine")
    if tab not in TABS:
        tab = "todo"
    qs = {"todo": service.todo, "mine": service.submitted, "done": service.handled}[tab](user)
    if tab != "todo":
        qs = qs.order_by("-created_at", "-id")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    cards = [_card(r, user) for r in page]
    return render(request, "approvals/inbox.html", {
        "tab": tab, "page": page, "cards": cards, "todo_count": service.todo_count(user),
        "can_configure": policy.can(user, "manage_access"),
    })


def _card(req, user) -> dict:
    step = req.step() or {}
    return {"req": req, "mode": dict(MODES).get(step.get("mode"), ""), "step_name": step.get("name", ""),
            "waiting": [_user_label(u) for u in service.current_approvers(req)],
            "show_amount": policy.sees_price(user) and req.amount is not None,
            "party": _party_name(req.document_obj)}


@login_required
def count(request):
    return JsonResponse({"pending": service.todo_count(request.user)})


def _get(request, pk):
    req = get_object_or_404(ApprovalRequest.objects.select_related("maker", "document"), pk=pk)
    if not service.can_view(req, request.user):
        raise Http404
    return req


@login_required
def detail(request, pk):
    req = _get(request, pk)
    return _render_detail(request, req)


def _render_detail(request, req, forms=None, status=200):
    user = request.user
    mine = req.is_pending and service.pending_rows(req).filter(user=user).exists()
    admin_assign = (req.is_pending and not service.pending_rows(req).exists() and policy.can(user, "manage_access"))
    forms = forms or {}
    initial = {"level": req.current_level}
    ctx = {
        "req": req, "card": _card(req, user), "preview": preview(req, user),
        "history": req.decisions.select_related("user", "to_user").order_by("at", "id"),
        "levels": _levels(req),
        "can_decide": mine, "can_delegate": mine or admin_assign, "admin_assign": admin_assign,
        "can_cancel": req.is_pending and req.maker_id == user.pk,
        "self_blocked": req.is_pending and req.maker_id == user.pk and not service.self_approval_allowed(),
        "approve_form": forms.get("approve") or DecisionForm(initial=initial, prefix="a"),
        "reject_form": forms.get("reject") or DecisionForm(initial=initial, prefix="r"),
        "delegate_form": forms.get("delegate") or DecisionForm(initial=initial, prefix="d"),
        "delegate_choices": _delegate_choices(req, user) if (mine or admin_assign) else [],
        "error": forms.get("error"), "open_form": forms.get("open"),
    }
    return render(request, "approvals/detail.html", ctx, status=status)


def _levels(req):
    from django.contrib.auth.models import Group

    rows = list(req.assignees.select_related("user", "delegated_from").order_by("level", "id"))
    out = []
    for s in req.steps:
        roles = list(Group.objects.filter(pk__in=s["roles"]).values_list("name", flat=True))
        out.append({"level": s["level"], "name": s["name"], "mode": dict(MODES).get(s["mode"], s["mode"]), "roles": roles,
                    "timeout": s.get("timeout_hours"), "current": req.is_pending and s["level"] == req.current_level,
                    "done": s["level"] < req.current_level or req.status == ApprovalRequest.APPROVED,
                    "people": [{"name": _user_label(a.user), "state": a.get_state_display(), "code": a.state,
                                "from": _user_label(a.delegated_from) if a.delegated_from else ""}
                               for a in rows if a.level == s["level"]]})
    return out


def _delegate_choices(req, user):
    users = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk).order_by("username")
    taken = set(service.pending_rows(req).values_list("user_id", flat=True))
    return [(u.pk, _user_label(u)) for u in users if u.pk not in taken and service.eligible(req, u)]


def _decide(request, pk, action):
    req = _get(request, pk)
    prefix = {"approve": "a", "reject": "r", "delegate": "d"}[action]
    form = DecisionForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return _render_detail(request, req, {action: form, "open": action}, status=400)
    d = form.cleaned_data
    try:
        if action == "approve":
            service.approve(req.pk, request.user, d["password"], comment=d["comment"], level=d["level"])
        elif action == "reject":
            service.reject(req.pk, request.user, d["password"], d["comment"], level=d["level"])
        else:
            service.delegate(req.pk, request.user, d["password"], request.POST.get("to_user", ""), comment=d["comment"],
                             level=d["level"])
    except OperationalError:  # a deadlock or lock timeout at the final posting: nothing was written
        req.refresh_from_db()
        form = DecisionForm(initial={"level": d["level"], "comment": d["comment"]}, prefix=prefix)
        return _render_detail(request, req, {action: form, "error": _("The database is busy; nothing was changed. Try again."),
                                             "open": action}, status=503)
    except DocError as e:
        req.refresh_from_db()
        form = DecisionForm(initial={"level": d["level"], "comment": d["comment"]}, prefix=prefix)
        return _render_detail(request, req, {action: form, "error": e.message, "open": action},
                              status=403 if e.code in ("not_allowed", "not_approver", "segregation_of_duties") else 400)
    req.refresh_from_db()
    if action == "approve":
        if req.status == ApprovalRequest.APPROVED:
            messages.success(request, _("Approved; the document is posted."))
        elif req.status == ApprovalRequest.FAILED:
            messages.error(request, _("Approved, but the document could not be posted: %(message)s") % {"message": req.error_message})
        else:
            messages.success(request, _("Approved."))
    elif action == "reject":
        messages.success(request, _("Rejected; the maker has been notified."))
    else:
        messages.success(request, _("Handed on."))
    return redirect(f"{_inbox_url()}?tab=todo")


def _inbox_url():
    from django.urls import reverse

    return reverse("approvals:inbox")


@login_required
@require_POST
def approve(request, pk):
    return _decide(request, pk, "approve")


@login_required
@require_POST
def reject(request, pk):
    return _decide(request, pk, "reject")


@login_required
@require_POST
def delegate(request, pk):
    return _decide(request, pk, "delegate")


@login_required
@require_POST
def cancel(request, pk):
    req = _get(request, pk)
    try:
        service.cancel(req.pk, request.user)
    except DocError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Request withdrawn."))
    return redirect("approvals:detail", pk=req.pk)


# -- the document as submitted ------------------------------------------------------------------------------

def _party_name(obj) -> str:
    from stockbook.masterdata.models import Customer, Supplier

    for key, model in (("supplier", Supplier), ("customer", Customer)):
        code = obj.get(key)
        if isinstance(code, str):
            name = model.objects.filter(code=code).values_list("name", flat=True).first()
            return f"{code} {name}" if name else code
    return ""


def preview(req, user) -> dict:
    """Header fields and lines of the submitted document, with names; prices and amounts only for users
    who may see them."""
    from stockbook.ledger.models import Account
    from stockbook.masterdata.models import Item, Warehouse

    obj = req.document_obj
    price = policy.sees_price(user)
    lines = [ln for ln in (obj.get("lines") or []) if isinstance(ln, dict)]
    items = {i.code: i for i in Item.objects.filter(code__in=[ln.get("item") for ln in lines if isinstance(ln.get("item"), str)])}
    wh_codes = {c for c in [obj.get("warehouse")] + [ln.get(k) for ln in lines for k in ("warehouse", "to_warehouse")] if isinstance(c, str)}
    whs = dict(Warehouse.objects.filter(code__in=wh_codes).values_list("code", "name"))
    acc_codes = {c for c in [obj.get("account")] + [ln.get("account") for ln in lines] if isinstance(c, str)}
    accs = dict(Account.objects.filter(code__in=acc_codes).values_list("code", "name"))

    def named(code, names):
        return f"{code} {names[code]}" if isinstance(code, str) and code in names else (code or "")

    header = [(_("Date"), obj.get("date", "")), (_("Reference"), obj.get("ref", ""))]
    party = _party_name(obj)
    if party:
        header.append((_("Supplier") if obj.get("supplier") else _("Customer"), party))
    if obj.get("warehouse"):
        header.append((_("Warehouse"), named(obj["warehouse"], whs)))
    if obj.get("account"):
        header.append((_("Account"), named(obj["account"], accs)))
    if price and obj.get("amount") is not None:
        header.append((_("Amount"), obj["amount"]))
    if obj.get("memo"):
        header.append((_("Memo"), obj["memo"]))
    rows = []
    for n, ln in enumerate(lines, 1):
        item = items.get(ln.get("item"))
        row = {"n": n, "item": f"{ln.get('item')} {item.name}" if item else (ln.get("item") or ""),
               "warehouse": named(ln.get("warehouse"), whs) + (f" → {named(ln.get('to_warehouse'), whs)}" if ln.get("to_warehouse") else ""),
               "account": named(ln.get("account"), accs),
               "ref": " ".join(str(ln[k]) for k in ("receipt", "delivery", "invoice") if ln.get(k)) + (f" #{ln['line']}" if ln.get("line") else ""),
               "qty": ln.get("qty", ""), "uom": ln.get("uom") or (item.uom if item else ""), "memo": ln.get("memo", "")}
        if price:
            row["unit_price"] = ln.get("unit_price", "")
            row["amount"] = ln.get("amount") or _line_amount(ln)
            row["debit"], row["credit"] = ln.get("debit", ""), ln.get("credit", "")
            row["tax_rate"] = ln.get("tax_rate", "")
        rows.append(row)
    cols = {k for r in rows for k, v in r.items() if v not in ("", None) and k != "n"}
    return {"header": header, "lines": rows, "cols": cols, "price": price,
            "amount": req.amount if price else None}


def _line_amount(ln):
    try:
        return f"{round2(parse_qty(ln['qty'], allow_zero=True) * parse_price(ln['unit_price'], allow_zero=True)):,.2f}"
    except (DocError, KeyError, TypeError):
        return ""


# -- configuration -------------------------------------------------------------------------------------------

def workflows(request):
    settings_obj = ApprovalSettings.current()
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=settings_obj)
        if form.is_valid():
            before = ApprovalSettings.current().allow_self_approval
            with transaction.atomic():
                obj = form.save()
                if before != obj.allow_self_approval:
                    audit.record("setting_change", obj, user=request.user, object_repr="审批设置",
                                 before={"allow_self_approval": before}, after={"allow_self_approval": obj.allow_self_approval})
            messages.success(request, _("Settings saved."))
            return redirect("approvals:workflows")
    else:
        form = SettingsForm(instance=settings_obj)
    names = dict(doc_type_choices())
    rows = []
    for wf in Workflow.objects.prefetch_related("steps"):
        rows.append({"wf": wf, "type": names.get(wf.doc_type, wf.doc_type), "steps": wf.steps.count()})
    return render(request, "approvals/workflows.html", {"rows": rows, "form": form,
                                                         "env_self": service.conf.allow_self_approval() and not settings_obj.allow_self_approval})


def _initial_steps(wf):
    out = []
    for s in wf.steps.order_by("level").prefetch_related("roles", "users"):
        out.append({"name": s.name, "mode": s.mode, "roles": list(s.roles.all()), "users": list(s.users.all()),
                    "timeout_hours": s.timeout_hours, "escalate_to_role": s.escalate_to_role})
    return out


def _describe(wf) -> dict:
    return {"name": wf.name, "doc_type": wf.doc_type, "min_amount": wf.min_amount, "max_amount": wf.max_amount,
            "priority": wf.priority, "active": wf.active, "steps": wf.snapshot()}


def workflow_edit(request, pk=None):
    wf = get_object_or_404(Workflow, pk=pk) if pk else None
    if request.method == "POST":
        form = WorkflowForm(request.POST, instance=wf)
        steps = StepFormSet(request.POST, prefix="s")
        if form.is_valid() and steps.is_valid():
            before = _describe(wf) if wf else None
            with transaction.atomic():
                obj = form.save()
                obj.steps.all().delete()
                for level, d in enumerate(steps.steps(), 1):
                    s = Step.objects.create(workflow=obj, level=level, name=d.get("name") or "", mode=d["mode"],
                                            timeout_hours=d.get("timeout_hours"), escalate_to_role=d.get("escalate_to_role"))
                    s.roles.set(d.get("roles") or [])
                    s.users.set(d.get("users") or [])
                audit.record("setting_change", obj, user=request.user, object_repr=f"审批流程 {obj.name}", before=before,
                             after=_describe(obj), remark="审批流程")
            messages.success(request, _("Workflow saved."))
            if request.POST.get("more"):
                return redirect("approvals:workflow_edit", pk=obj.pk)
            return redirect("approvals:workflows")
    else:
        form = WorkflowForm(instance=wf)
        steps = StepFormSet(initial=_initial_steps(wf) if wf else [{"mode": "any"}], prefix="s")
    return render(request, "approvals/workflow_form.html", {"form": form, "steps": steps, "wf": wf})


def workflow_delete(request, pk):
    wf = get_object_or_404(Workflow, pk=pk)
    if request.method == "POST":
        with transaction.atomic():
            before = _describe(wf)
            audit.record("setting_change", wf, user=request.user, object_repr=f"审批流程 {wf.name}", before=before, after=None,
                         remark="删除审批流程")
            wf.delete()
        messages.success(request, _("Workflow deleted."))
    return redirect("approvals:workflows")

