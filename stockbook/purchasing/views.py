"""Web pages of purchasing (Chinese UI): orders (list, new, detail with the status flow, print/PDF), receipt against
an order with barcode scanning, 到货质检, three-way match with "invoice from receipts", price hints (JSON for the
order form), supplier scoring, requisitions, replenishment suggestions and the tolerances page."""
from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from stockbook.access.policy import can, sees_price, visible_warehouses
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_qty
from stockbook.masterdata.models import Item, Supplier, Warehouse
from stockbook.posting.models import Document, DocumentLine

from . import history, match, services
from .models import Inspection, PurchaseOrder, PurchaseSettings, Requisition

PO = PurchaseOrder


def _day(v):
    try:
        return date.fromisoformat(v) if v else None
    except ValueError:
        return None


def _orders(user):
    return PO.objects.select_related("supplier", "warehouse").filter(warehouse__in=visible_warehouses(user, Warehouse.objects.all()))


def _get_order(request, pk) -> PurchaseOrder:
    po = _orders(request.user).filter(pk=pk).first()
    if po is None:
        raise Http404("采购订单不存在")
    return services.sync_approval(po)


def _lists():
    return {"suppliers": list(Supplier.objects.filter(active=True).order_by("code").values_list("code", "name")),
            "warehouses": list(Warehouse.objects.filter(active=True).order_by("code").values_list("code", "name")),
            "items": list(Item.objects.filter(active=True).order_by("code").values_list("code", "name", "uom"))}


# -- orders ----------------------------------------------------------------------------------------------------------

def order_list(request):
    services.sync_pending()
    g = request.GET
    f = {k: g.get(k, "").strip() for k in ("status", "supplier", "from", "to", "q")}
    qs = _orders(request.user)
    if f["status"] in dict(PO.STATUSES):
        qs = qs.filter(status=f["status"])
    if f["supplier"]:
        qs = qs.filter(supplier__code=f["supplier"])
    if _day(f["from"]):
        qs = qs.filter(order_date__gte=_day(f["from"]))
    if _day(f["to"]):
        qs = qs.filter(order_date__lte=_day(f["to"]))
    if f["q"]:
        qs = qs.filter(number__icontains=f["q"])
    page = Paginator(qs, 50).get_page(g.get("page"))
    return render(request, "purchasing/order_list.html", {"page": page, "f": f, "statuses": PO.STATUSES, "show_price": sees_price(request.user),
                                                           **_lists()})


def _lines_from_post(p) -> list[dict]:
    rows = []
    for item, qty, uom, price, rate, exp in zip(p.getlist("item"), p.getlist("qty"), p.getlist("uom"), p.getlist("unit_price"),
                                                p.getlist("tax_rate"), p.getlist("expected_date")):
        if not item.strip() and not qty.strip():
            continue
        rows.append({"item": item.strip(), "qty": qty.strip(), "uom": uom.strip() or None, "unit_price": price.strip(),
                     "tax_rate": rate.strip() or None, "expected_date": exp.strip() or None})
    return rows


def order_new(request):
    error, form = None, {"order_date": date.today().isoformat(), "lines": [{}]}
    if request.method == "POST":
        p = request.POST
        form = {"supplier": p.get("supplier", ""), "warehouse": p.get("warehouse", ""), "order_date": p.get("order_date", ""),
                "expected_date": p.get("expected_date", ""), "memo": p.get("memo", ""), "lines": _lines_from_post(p) or [{}]}
        try:
            po = services.create_order({**form, "expected_date": form["expected_date"] or None}, user=request.user)
            if p.get("submit"):
                po = services.submit(po, user=request.user)
            messages.success(request, f"采购订单 {po.number} 已保存（{po.get_status_display()}）")
            return redirect("purchasing:order_detail", po.pk)
        except DocError as e:
            error = e
    return render(request, "purchasing/order_form.html", {"form": form, "error": error, **_lists()})


def order_edit(request, pk):
    po = _get_order(request, pk)
    if po.status != PO.DRAFT:
        messages.error(request, f"只有草稿状态的订单可以修改（当前：{po.get_status_display()}）")
        return redirect("purchasing:order_detail", po.pk)
    error = None
    form = {"supplier": po.supplier.code, "warehouse": po.warehouse.code, "order_date": po.order_date.isoformat(),
            "expected_date": po.expected_date.isoformat() if po.expected_date else "", "memo": po.memo,
            "lines": [{"item": ln.item.code, "qty": fmt_qty(ln.qty), "uom": ln.uom, "unit_price": ln.unit_price,
                       "tax_rate": format(ln.tax_rate.normalize(), "f"),
                       "expected_date": ln.expected_date.isoformat() if ln.expected_date else ""}
                      for ln in po.lines.select_related("item")]}
    if request.method == "POST":
        p = request.POST
        form = {"supplier": p.get("supplier", ""), "warehouse": p.get("warehouse", ""), "order_date": p.get("order_date", ""),
                "expected_date": p.get("expected_date", ""), "memo": p.get("memo", ""), "lines": _lines_from_post(p) or [{}]}
        try:
            po = services.replace_lines(po, {**form, "expected_date": form["expected_date"] or None}, user=request.user)
            if p.get("submit"):
                po = services.submit(po, user=request.user)
            messages.success(request, f"采购订单 {po.number} 已保存（{po.get_status_display()}）")
            return redirect("purchasing:order_detail", po.pk)
        except DocError as e:
            error = e
    return render(request, "purchasing/order_form.html", {"form": form, "error": error, "po": po, **_lists()})


def order_detail(request, pk):
    po = _get_order(request, pk)
    opens = services.open_lines(po)
    from .models import ReceiptLink

    links = ReceiptLink.objects.filter(po_line__order=po).select_related("document").order_by("date", "id")
    receipts = {}
    for lk in links:
        receipts.setdefault(lk.document_id, lk.document)
    reqs = sorted({rl.requisition for ln in po.lines.all() for rl in ln.requisition_lines.select_related("requisition")},
                  key=lambda r: r.number)
    return render(request, "purchasing/order_detail.html", {
        "po": po, "opens": opens, "receipts": list(receipts.values()), "show_price": sees_price(request.user),
        "can_order": can(request.user, "order_purchase"), "can_receive": can(request.user, "doc_purchase"),
        "can_qc": can(request.user, "quality_check"), "inspected": set(Inspection.objects.filter(receipt_id__in=receipts).values_list("receipt_id", flat=True)),
        "requisitions": reqs, "approval": po.approval})


ACTIONS = {"submit": services.submit, "cancel": services.cancel, "close": services.close, "draft": services.back_to_draft}


def order_action(request, pk, action):
    if request.method != "POST" or action not in ACTIONS:
        raise Http404
    po = _get_order(request, pk)
    try:
        po = ACTIONS[action](po, user=request.user)
        messages.success(request, f"采购订单 {po.number}：{po.get_status_display()}")
    except DocError as e:
        messages.error(request, e.message)
    return redirect("purchasing:order_detail", po.pk)


def order_print(request, pk):
    po = _get_order(request, pk)
    from stockbook.masterdata.models import Company

    ctx = {"po": po, "lines": po.lines.select_related("item"), "company": Company.current(), "show_price": sees_price(request.user),
           "pdf": request.GET.get("format") == "pdf"}
    if ctx["pdf"]:
        from stockbook.reports.pdf import html_to_pdf

        resp = HttpResponse(html_to_pdf(render_to_string("purchasing/order_print.html", ctx, request=request)), content_type="application/pdf")
        resp["Content-Disposition"] = f'{"attachment" if request.GET.get("download") else "inline"}; filename="{po.number}.pdf"'
        return resp
    return render(request, "purchasing/order_print.html", ctx)


def price_hint(request):
    """?item=CODE → last / best price (JSON, used by the order form)."""
    it = Item.objects.filter(code=request.GET.get("item", "").strip()).first()
    if it is None:
        return JsonResponse({"error": "unknown_item", "message": "存货不存在"}, status=404)
    data = history.price_hint(it)
    if not sees_price(request.user):
        for k in ("last", "best"):
            if data[k]:
                data[k]["price"] = None
    return JsonResponse(data)


# -- receipt against an order ---------------------------------------------------------------------------------------

def order_receive(request, pk):
    po = _get_order(request, pk)
    error, result = None, None
    opens = services.open_lines(po)
    rows = [{"no": o["line"].line_no, "item": o["line"].item, "uom": o["line"].uom, "ordered": fmt_qty(o["line"].qty),
             "open": fmt_qty(o["open_qty"]), "qty": fmt_qty(o["open_qty"]), "price": o["line"].unit_price} for o in opens]
    form = {"ref": "", "date": date.today().isoformat(), "warehouse": po.warehouse.code}
    if request.method == "POST":
        p = request.POST
        form = {"ref": p.get("ref", "").strip(), "date": p.get("date", ""), "warehouse": p.get("warehouse", po.warehouse.code)}
        lines = []
        for no, qty in zip(p.getlist("order_line"), p.getlist("qty")):
            for r in rows:
                if str(r["no"]) == no:
                    r["qty"] = qty
            if qty.strip() and no.isdigit():
                lines.append({"order_line": int(no), "qty": qty.strip()})
        try:
            day = _day(form["date"])
            if day is None:
                raise DocError("invalid_value", "请填写正确的收货日期", field="date")
            res = services.receive(po, lines, ref=form["ref"] or None, day=day, warehouse=form["warehouse"], user=request.user)
            if res.status == "pending":
                messages.info(request, "入库单需要审批，审批通过后过账")
            else:
                messages.success(request, f"入库单 {res.document.ref} 已过账")
            return redirect("purchasing:order_detail", po.pk)
        except DocError as e:
            error = e
    return render(request, "purchasing/receive.html", {"po": po, "rows": rows, "form": form, "error": error,
                                                       "show_price": sees_price(request.user), **_lists()})


# -- quality check ---------------------------------------------------------------------------------------------------

def inspect_page(request, doc_id):
    receipt = get_object_or_404(Document, pk=doc_id, type="purchase_receipt")
    done = Inspection.objects.filter(receipt=receipt).first()
    lines = list(DocumentLine.objects.filter(document=receipt).select_related("item").order_by("line_no"))
    rows = [{"no": dl.line_no, "item": dl.item, "uom": dl.uom or dl.item.uom, "received": fmt_qty(dl.qty), "accepted": fmt_qty(dl.qty),
             "rejected": "0", "reason": ""} for dl in lines]
    error = None
    if request.method == "POST" and done is None:
        p = request.POST
        got = []
        for r in rows:
            r["accepted"] = p.get(f"accepted_{r['no']}", "").strip()
            r["rejected"] = p.get(f"rejected_{r['no']}", "").strip() or "0"
            r["reason"] = p.get(f"reason_{r['no']}", "").strip()
            got.append({"line": r["no"], "accepted": r["accepted"], "rejected": r["rejected"], "reason": r["reason"]})
        try:
            insp = services.inspect(receipt.ref, got, user=request.user, day=_day(p.get("date")), memo=p.get("memo", ""))
            msg = f"入库单 {receipt.ref} 质检完成"
            if insp.return_document_id:
                msg += f"，不合格品已生成退货单 {insp.return_document.ref}"
            messages.success(request, msg)
            return redirect("purchasing:inspect", receipt.pk)
        except DocError as e:
            error = e
    return render(request, "purchasing/inspect.html", {"receipt": receipt, "rows": rows, "done": done, "error": error,
                                                       "today": date.today().isoformat()})


def inspection_list(request):
    wh = visible_warehouses(request.user, Warehouse.objects.all())
    pending = (Document.objects.filter(type="purchase_receipt", status=Document.POSTED, warehouse__in=wh)
               .exclude(pk__in=Inspection.objects.values("receipt_id")).select_related("supplier", "warehouse").order_by("-date", "-id")[:100])
    done = Inspection.objects.select_related("receipt__supplier", "return_document", "inspected_by").filter(receipt__warehouse__in=wh)[:100]
    return render(request, "purchasing/inspection_list.html", {"pending": pending, "done": done})


# -- three-way match ----------------------------------------------------------------------------------------------

def order_match(request, pk):
    from stockbook.posting.service import post

    po = _get_order(request, pk)
    error, prefill = None, match.invoice_lines(po)
    form = {"ref": "", "date": date.today().isoformat()}
    if request.method == "POST":
        if not can(request.user, "doc_invoice"):
            messages.error(request, "没有权限录入采购发票")
            return redirect("purchasing:order_match", po.pk)
        p = request.POST
        form = {"ref": p.get("ref", "").strip(), "date": p.get("date", "")}
        lines = []
        for rc, ln, qty, price, rate in zip(p.getlist("receipt"), p.getlist("line"), p.getlist("qty"), p.getlist("unit_price"),
                                            p.getlist("tax_rate")):
            if qty.strip() in ("", "0"):
                continue
            lines.append({"receipt": rc, "line": int(ln) if ln.isdigit() else ln, "qty": qty.strip(), "unit_price": price.strip(),
                          "tax_rate": rate.strip()})
        prefill = [dict(a, **{k: b[k] for k in ("qty", "unit_price", "tax_rate")}) for a, b in
                   zip(prefill, [{"qty": q, "unit_price": u, "tax_rate": t} for q, u, t in
                                 zip(p.getlist("qty"), p.getlist("unit_price"), p.getlist("tax_rate"))])]
        try:
            if not form["ref"]:
                raise DocError("invalid_value", "请填写发票号", field="ref")
            if not lines:
                raise DocError("invalid_value", "没有可开票的行", field="lines")
            day = _day(form["date"])
            if day is None:
                raise DocError("invalid_value", "请填写正确的发票日期", field="date")
            res = post(match.invoice_from(po, lines, ref=form["ref"], day=day), user=request.user, source="web")
            messages.success(request, f"采购发票 {form['ref']} 已过账" if res.posted else "采购发票已提交审批")
            return redirect("purchasing:order_match", po.pk)
        except DocError as e:
            error = e
    return render(request, "purchasing/match.html", {"po": po, "rows": match.match_rows(po), "prefill": prefill, "form": form,
                                                     "error": error, "show_price": sees_price(request.user),
                                                     "can_invoice": can(request.user, "doc_invoice")})


# -- scoring, prices ----------------------------------------------------------------------------------------------

def scores(request):
    end = _day(request.GET.get("to")) or date.today()
    start = _day(request.GET.get("from")) or (end - timedelta(days=365))
    return render(request, "purchasing/scores.html", {"rows": history.supplier_scores(start, end), "start": start, "end": end})


def prices(request):
    code = request.GET.get("item", "").strip()
    it = Item.objects.filter(code=code).first() if code else None
    rows = history.price_history(it.pk, limit=200) if it else []
    return render(request, "purchasing/prices.html", {"item": it, "code": code, "rows": rows,
                                                      "hint": history.price_hint(it) if it else None, **_lists()})


# -- requisitions ------------------------------------------------------------------------------------------------------

def requisition_list(request):
    qs = Requisition.objects.select_related("requester")
    st = request.GET.get("status", "")
    if st in dict(Requisition.STATUSES):
        qs = qs.filter(status=st)
    return render(request, "purchasing/requisition_list.html", {"page": Paginator(qs, 50).get_page(request.GET.get("page")),
                                                                 "statuses": Requisition.STATUSES, "status": st})


def requisition_new(request):
    error, form = None, {"date": date.today().isoformat(), "department": "", "lines": [{}]}
    if request.method == "POST":
        p = request.POST
        lines = [{"item": i.strip(), "qty": q.strip(), "needed_by": n.strip() or None, "reason": r.strip()}
                 for i, q, n, r in zip(p.getlist("item"), p.getlist("qty"), p.getlist("needed_by"), p.getlist("reason")) if i.strip() or q.strip()]
        form = {"date": p.get("date", ""), "department": p.get("department", ""), "memo": p.get("memo", ""), "lines": lines or [{}]}
        try:
            r = services.create_requisition({**form, "lines": lines}, user=request.user)
            if p.get("submit"):
                services.requisition_to(r, Requisition.SUBMITTED, user=request.user)
            return redirect("purchasing:requisition_detail", r.pk)
        except DocError as e:
            error = e
    return render(request, "purchasing/requisition_form.html", {"form": form, "error": error, **_lists()})


def requisition_detail(request, pk):
    r = services.sync_requisition(get_object_or_404(Requisition, pk=pk))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "convert":
                choices = {int(n): (request.POST.get(f"supplier_{n}") or None) for n in request.POST.getlist("pick") if n.isdigit()}
                pos = services.convert_requisition(r, choices, warehouse=request.POST.get("warehouse", ""), user=request.user)
                messages.success(request, "已生成采购订单：" + "、".join(p.number for p in pos))
            else:
                to = {"submit": Requisition.SUBMITTED, "approve": Requisition.APPROVED, "reject": Requisition.REJECTED,
                      "draft": Requisition.DRAFT}.get(action)
                if to is None:
                    raise DocError("invalid_value", "未知操作")
                services.requisition_to(r, to, user=request.user)
                messages.success(request, f"请购单 {r.number}：{r.get_status_display()}")
        except DocError as e:
            messages.error(request, e.message)
        return redirect("purchasing:requisition_detail", r.pk)
    lines = []
    for ln in r.lines.select_related("item", "po_line__order"):
        s = services.last_supplier(ln.item_id)
        lines.append({"ln": ln, "default_supplier": s.code if s else ""})
    return render(request, "purchasing/requisition_detail.html", {"r": r, "lines": lines, "can_approve": can(request.user, "approve"),
                                                                   **_lists()})


# -- suggestions, settings -------------------------------------------------------------------------------------------------

def suggestions(request):
    wh_code = request.GET.get("warehouse") or request.POST.get("warehouse") or ""
    wh = Warehouse.objects.filter(code=wh_code).first() if wh_code else None
    rows = history.suggestions(wh.pk if wh else None)
    if request.method == "POST":
        picked = []
        for n in request.POST.getlist("pick"):
            if not n.isdigit() or int(n) >= len(rows):
                continue
            i = int(n)
            picked.append({"item": rows[i]["item"], "qty": request.POST.get(f"qty_{i}") or rows[i]["suggested_qty"],
                           "supplier": request.POST.get(f"supplier_{i}") or rows[i]["supplier"],
                           "price": request.POST.get(f"price_{i}") or rows[i]["price"] or "0"})
        try:
            target = request.POST.get("target_warehouse") or wh_code
            if not target:
                raise DocError("invalid_value", "请选择收货仓库", field="warehouse")
            pos = history.create_from_suggestions(picked, warehouse=target, user=request.user)
            messages.success(request, "已生成草稿采购订单：" + "、".join(p.number for p in pos))
            return redirect(reverse("purchasing:order_list") + "?status=draft")
        except DocError as e:
            messages.error(request, e.message)
    return render(request, "purchasing/suggestions.html", {"rows": rows, "wh": wh_code, **_lists()})


def settings_page(request):
    if not (can(request.user, "manage_accounts") or can(request.user, "order_purchase")):
        from stockbook.access.web import forbidden

        return forbidden(request, "需要“维护会计科目与公司设置”或“请购与采购订单”权限")
    s, error = PurchaseSettings.current(), None
    if request.method == "POST":
        try:
            services.update_settings(request.POST.get("over_receipt_pct", "").strip(), request.POST.get("price_tolerance_pct", "").strip(),
                                     user=request.user)
            messages.success(request, "采购参数已保存")
            return redirect("purchasing:settings")
        except DocError as e:
            error = e
    return render(request, "purchasing/settings.html", {"s": s, "error": error})

