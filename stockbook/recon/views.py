"""The reconciliation workbench (/recon/): every ledger pair as of a date with its explained parts, each
difference item with the rule and reason that attributed it and links to its documents and vouchers;
the rules editor, the cause knowledge base and the thresholds."""
from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from stockbook import audit
from stockbook.core.money import fmt_money
from stockbook.ledger.models import Voucher

from . import causes as kb
from .forms import CauseForm, RuleForm, ThresholdForm
from .models import Cause, Rule, Threshold
from .rules import FEATURES
from .service import current, external_runs, invalidate, reconcile_run, reset_rule


def _as_of(request) -> tuple[date, str | None]:
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return timezone.localdate(), None
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return timezone.localdate(), f"日期格式不对：{raw}（应为 YYYY-MM-DD）"


def workbench(request):
    as_of, error = _as_of(request)
    source = request.GET.get("source", "internal")
    runs = external_runs()
    pairs, meta = [], None
    if source == "internal":
        res = current(as_of)
        pairs, meta = res["data"], res
    else:
        try:
            run_id = int(source.removeprefix("run:"))
        except ValueError:
            raise Http404(source)
        try:
            pairs = [p.to_json() for p in reconcile_run(run_id, as_of)]
        except LookupError:
            raise Http404(source)
    names = dict(Cause.objects.values_list("code", "name"))
    vids = {v for p in pairs for it in p["items"] for v in it["voucher_ids"]}
    vlabels = {v.pk: f"{v.period // 100}-{v.period % 100:02d} {v.word}-{v.number}"
               for v in Voucher.objects.filter(pk__in=vids).only("period", "word", "number")}
    for p in pairs:
        for it in p["items"]:
            it["vouchers"] = [(v, vlabels.get(v, f"#{v}")) for v in it["voucher_ids"]]
            it["cause_name"] = names.get(it["cause"], it["cause"]) if it["cause"] else "未解释"
            it["docs"] = list(zip(it["doc_ids"], it["refs"])) if len(it["doc_ids"]) == len(it["refs"]) else [(i, "") for i in it["doc_ids"]]
    return render(request, "recon/workbench.html", {
        "as_of": as_of, "error": error, "pairs": pairs, "meta": meta, "source": source,
        "runs": [(r, source == f"run:{r.pk}") for r in runs]})


# -- rules ------------------------------------------------------------------------------------------
def rule_list(request):
    rules = Rule.objects.select_related("cause").order_by("proposed", "order", "id")
    return render(request, "recon/rules.html", {"rules": rules, "features": FEATURES.items()})


def _save_rule(request, form, before, action):
    with transaction.atomic():
        r = form.save(commit=False)
        r.updated_by = request.user
        r.save()
        audit.record(action, r, user=request.user, before=before,
                     after={"order": r.order, "active": r.active, "conditions": r.conditions, "cause": r.cause_id, "action": r.action})
        invalidate()
    return r


def rule_edit(request, pk=None):
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    before = {"order": rule.order, "active": rule.active, "conditions": rule.conditions, "cause": rule.cause_id, "action": rule.action} if rule else None
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        r = _save_rule(request, form, before, "update" if rule else "create")
        messages.success(request, f"规则 {r.code} 已保存，对账结果将按新规则重新计算。")
        return redirect("recon:rules")
    return render(request, "recon/rule_form.html", {"form": form, "rule": rule, "features": FEATURES.items()})


def rule_action(request, pk, action):
    rule = get_object_or_404(Rule, pk=pk)
    if request.method != "POST":
        return redirect("recon:rules")
    before = {"active": rule.active, "proposed": rule.proposed}
    with transaction.atomic():
        if action == "toggle":
            rule.active = not rule.active
        elif action == "accept":
            rule.proposed, rule.active = False, True
        elif action == "reset" and rule.builtin:
            reset_rule(rule)
        elif action == "delete" and not rule.builtin:
            audit.record("delete", rule, user=request.user, before={"conditions": rule.conditions, "cause": rule.cause_id})
            rule.delete()
            invalidate()
            messages.success(request, "规则已删除。")
            return redirect("recon:rules")
        else:
            raise Http404(action)
        rule.updated_by = request.user
        rule.save()
        audit.record("update", rule, user=request.user, before=before, after={"active": rule.active, "proposed": rule.proposed},
                     remark=action)
        invalidate()
    return redirect("recon:rules")


# -- causes -----------------------------------------------------------------------------------------
def cause_list(request):
    return render(request, "recon/causes.html", {"causes": Cause.objects.all(), "builtin": kb.BUILTIN})


def cause_edit(request, code=None):
    cause = get_object_or_404(Cause, pk=code) if code else None
    form = CauseForm(request.POST or None, instance=cause)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            c = form.save()
            audit.record("update" if cause else "create", c, user=request.user, after={"name": c.name, "explanation": c.explanation, "fix": c.fix})
        messages.success(request, f"原因 {c.code} 已保存。")
        return redirect("recon:causes")
    return render(request, "recon/cause_form.html", {"form": form, "cause": cause})


# -- thresholds -------------------------------------------------------------------------------------
def threshold_list(request):
    form = ThresholdForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                t = form.save()
                audit.record("setting_change", t, user=request.user, after={"account": t.account, "warehouse": t.warehouse_id,
                                                                            "pct": str(t.pct), "amount": t.amount})
                invalidate()
            messages.success(request, "阈值已保存。")
            return redirect("recon:thresholds")
    rows = [{"t": t, "amount": fmt_money(t.amount)} for t in Threshold.objects.select_related("warehouse").order_by("account", "warehouse__code")]
    return render(request, "recon/thresholds.html", {"form": form, "rows": rows})


def threshold_delete(request, pk):
    t = get_object_or_404(Threshold, pk=pk)
    if request.method == "POST":
        with transaction.atomic():
            audit.record("setting_change", t, user=request.user, before={"account": t.account, "warehouse": t.warehouse_id,
                                                                         "pct": str(t.pct), "amount": t.amount}, remark="delete")
            t.delete()
            invalidate()
        messages.success(request, "阈值已删除。")
    return redirect("recon:thresholds")
