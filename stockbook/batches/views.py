"""Pages of 批次与效期: batch list with balances, expiry alerts, traceability (batch and serial), the batch
panel of a document, and the item batch policy (view_stock_reports to read, manage_master to edit)."""
from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render

from stockbook.access.policy import can, can_see_document, visible_warehouses, warehouse_ids
from stockbook.core.errors import DocError
from stockbook.masterdata.models import Item
from stockbook.web.views.common import paginate, parse_day

from .models import Batch, BatchBalance, ItemPolicy
from .queries import alerts, serial_trace, trace
from .service import _q, line_batches


def batch_list(request):
    g = request.GET
    f = {"item": g.get("item", "").strip(), "warehouse": g.get("warehouse", "").strip(), "stock": g.get("stock", "1")}
    qs = Batch.objects.select_related("item", "supplier").order_by("item__code", "expiry", "code")
    if f["item"]:
        qs = qs.filter(Q(item__code=f["item"]) | Q(item__name__icontains=f["item"]) | Q(code__icontains=f["item"]))
    scope = warehouse_ids(request.user)
    bal = BatchBalance.objects.filter(qty__gt=0)
    if scope is not None:
        bal = bal.filter(warehouse_id__in=scope)
    if f["warehouse"]:
        bal = bal.filter(warehouse__code=f["warehouse"])
    if f["stock"] == "1" or f["warehouse"]:
        qs = qs.filter(pk__in=bal.values("batch_id"))
    page = paginate(request, qs)
    per = {}
    for b in bal.filter(batch_id__in=[x.pk for x in page]).select_related("warehouse"):
        per.setdefault(b.batch_id, []).append(f"{b.warehouse.code} {_q(b.qty)}")
    rows = [{"b": b, "balances": "、".join(per.get(b.pk, [])) or "0"} for b in page]
    return render(request, "batches/list.html", {"rows": rows, "page": page, "f": f,
                                                 "warehouses": visible_warehouses(request.user).values_list("code", "name")})


def alerts_page(request):
    g = request.GET
    f = {"warehouse": g.get("warehouse", "").strip(), "days": g.get("days", "").strip(), "today": g.get("today", "").strip()}
    rows, error = [], None
    try:
        days = int(f["days"]) if f["days"] else None
        rows = alerts(request.user, warehouse=f["warehouse"] or None, days=days, today=parse_day(f["today"]))
    except ValueError:
        error = "天数必须是整数"
    except DocError as e:
        if e.code == "not_allowed":
            raise
        error = e.message
    return render(request, "batches/alerts.html", {"rows": rows, "f": f, "error": error,
                                                   "warehouses": visible_warehouses(request.user).values_list("code", "name")})


def trace_page(request):
    g = request.GET
    f = {"item": g.get("item", "").strip(), "batch": g.get("batch", "").strip(), "serial": g.get("serial", "").strip()}
    t, s, error = None, None, None
    try:
        if f["item"] and f["serial"]:
            s = serial_trace(f["item"], f["serial"], request.user)
        elif f["item"] and f["batch"]:
            t = trace(f["item"], f["batch"], request.user)
    except DocError as e:
        if e.code == "not_allowed":
            raise
        error = e.message
    sections = []
    if t:
        for key, title in (("receipts", "入库（采购/期初）"), ("transfers", "调拨"), ("deliveries", "销售出库"), ("returns", "退货"),
                           ("counts", "盘点"), ("scrap", "报废")):
            sections.append((title, t[key]))
    return render(request, "batches/trace.html", {"t": t, "s": s, "f": f, "error": error, "sections": sections})


def document_panel(request, doc_id):
    from stockbook.posting.models import Document

    doc = Document.objects.filter(pk=doc_id).first()
    if doc is None or not can_see_document(request.user, doc):
        raise Http404("document")
    lines = {ln.line_no: ln for ln in doc.lines.select_related("item")}
    rows = []
    for n, parts in sorted(line_batches(doc).items()):
        ln = lines.get(n)
        for p in parts:
            rows.append({"line": n, "item": ln.item.code if ln and ln.item_id else "", **p})
    from .models import SerialMove

    serials = SerialMove.objects.filter(document=doc).select_related("serial", "warehouse").order_by("line", "id")
    return render(request, "batches/document.html", {"doc": doc, "rows": rows, "serials": serials})


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ItemPolicy
        fields = ["batch_managed", "serial_managed", "shelf_life_days", "near_expiry_days"]


def policy_list(request):
    q = request.GET.get("q", "").strip()
    items = Item.objects.select_related("batch_policy", "category").order_by("code")
    if q:
        items = items.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if request.GET.get("managed") == "1":
        items = items.filter(Q(batch_policy__batch_managed=True) | Q(batch_policy__serial_managed=True))
    page = paginate(request, items)
    rows = [{"item": i, "p": getattr(i, "batch_policy", None)} for i in page]
    return render(request, "batches/policy_list.html", {"rows": rows, "page": page, "q": q,
                                                        "may_edit": can(request.user, "manage_master")})


def policy_edit(request, code):
    item = Item.objects.filter(code=code).first()
    if item is None:
        raise Http404(code)
    pol = ItemPolicy.objects.filter(item=item).first() or ItemPolicy(item=item)
    if request.method == "POST":
        form = PolicyForm(request.POST, instance=ItemPolicy.objects.filter(item=item).first() or ItemPolicy(item=item))
        if form.is_valid():
            from .service import set_policy

            c = form.cleaned_data
            set_policy(item, batch_managed=c["batch_managed"], serial_managed=c["serial_managed"],
                       shelf_life_days=c["shelf_life_days"], near_expiry_days=c["near_expiry_days"])
            messages.success(request, f"已保存 {item.code} 的批次策略")
            return redirect("batches:policies")
    else:
        form = PolicyForm(instance=pol)
    return render(request, "batches/policy_form.html", {"item": item, "form": form})


def document_panel_of(doc, user):
    """The 批次 panel of a document page (stockbook.web.panels): each line's batches, one query when none."""
    from django.urls import reverse
    from django.utils.http import urlencode

    from stockbook.web.panels import Panel

    from .models import BatchMove

    if doc.type not in ("opening_stock", "purchase_receipt", "purchase_return", "sales_delivery", "sales_return", "transfer",
                        "stock_count", "scrap"):
        return None
    moves = list(BatchMove.objects.filter(document=doc).select_related("batch", "warehouse", "item").order_by("line", "sub"))
    if not moves:
        return None
    trace = reverse("batches:trace")
    rows = [[str(m.line), m.item.code, (m.batch.code, trace + "?" + urlencode({"item": m.item.code, "batch": m.batch.code})),
             m.batch.expiry.isoformat() if m.batch.expiry else "—", m.warehouse.code, _q(m.qty),
             "红字冲回" if m.sub >= 10000 else ""] for m in moves]
    return Panel("批次", ["行", "存货", "批次号", "有效期至", "仓库", "数量", ""], rows,
                 note="未指定批次的出库按先到期先出（FEFO）分配。")
