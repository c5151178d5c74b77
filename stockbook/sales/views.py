"""Web pages of sales (Chinese UI): orders (list with filters, new with price rules and live availability per
line, detail with the status-flow buttons, print/PDF), delivery from an order with barcode scanning,
invoice from the order's deliveries, collection, quotations, reservations, price rules. Every page goes
through actions.* (capabilities, warehouse scope, prices hidden without view_price)."""
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from stockbook.access.policy import can, sees_price, visible_warehouses
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money, fmt_qty
from stockbook.masterdata.models import Customer, Item, Warehouse

from . import actions, delivery, service
from .models import PriceRule, Quotation, SalesOrder


def _day(v):
    try:
        return date.fromisoformat(v) if v else None
    except ValueError:
        return None


def _lists(user):
    return {"customers": list(Customer.objects.filter(active=True).order_by("code").values_list("code", "name")),
            "warehouses": list(visible_warehouses(user, Warehouse.objects.filter(active=True)).order_by("code").values_list("code", "name")),
            "items": list(Item.objects.filter(active=True).order_by("code").values_list("code", "name", "uom"))}


def _order(request, no) -> SalesOrder:
    try:
        return actions.get_order(request.user, no)
    except DocError as e:
        if e.code == "unknown_reference":
            raise Http404(e.message) from None
        raise


def _err(e: DocError) -> dict:
    return {"code": e.code, "message": e.message, "line": e.line}


# -- orders ---------------------------------------------------------------------------------------------------
def order_list(request):
    g = request.GET
    f = {k: g.get(k, "").strip() for k in ("status", "customer", "warehouse", "q", "from", "to")}
    try:
        qs = actions.filter_orders(request.user, f["status"], f["customer"], f["q"], f["warehouse"])
    except DocError:
        qs = actions.filter_orders(request.user)
        f["status"] = ""
    if _day(f["from"]):
        qs = qs.filter(date__gte=_day(f["from"]))
    if _day(f["to"]):
        qs = qs.filter(date__lte=_day(f["to"]))
    page = Paginator(qs, 50).get_page(g.get("page"))
    return render(request, "sales/order_list.html", {"page": page, "f": f, "statuses": [("open", "未完成（已确认/部分发货）"), *SalesOrder.STATUSES],
                                                      "show_price": sees_price(request.user), **_lists(request.user)})


def _lines_from_post(p) -> list[dict]:
    rows = []
    gifts = set(p.getlist("gift_line"))
    for n, (item, qty, uom, price, pct, rate) in enumerate(zip(p.getlist("item"), p.getlist("qty"), p.getlist("uom"), p.getlist("list_price"),
                                                               p.getlist("discount_pct"), p.getlist("tax_rate")), 1):
        if not item.strip() and not qty.strip():
            continue
        rows.append({"item": item.strip(), "qty": qty.strip(), "uom": uom.strip() or None, "list_price": price.strip() or None,
                     "discount_pct": pct.strip() or None, "tax_rate": rate.strip() or None, "gift": str(n) in gifts})
    return rows


def order_new(request):
    today = timezone.localdate()
    form = {"date": today.isoformat(), "lines": [{}] * 5, "warehouse": "", "customer": ""}
    error = None
    if request.method == "POST":
        p = request.POST
        data = {"customer": p.get("customer", "").strip(), "warehouse": p.get("warehouse", "").strip(), "date": p.get("date", "").strip(),
                "delivery_date": p.get("delivery_date", "").strip() or None, "order_discount": p.get("order_discount", "").strip() or None,
                "memo": p.get("memo", "").strip(), "lines": _lines_from_post(p)}
        try:
            o = actions.create_order(request.user, data)
            if p.get("confirm"):
                try:
                    actions.confirm(request.user, o.no)
                    messages.success(request, f"销售订单 {o.no} 已确认，库存已预留")
                except DocError as e:
                    messages.error(request, f"订单 {o.no} 已保存为草稿，确认未通过：{e.message}（{e.code}）")
            else:
                messages.success(request, f"销售订单 {o.no} 已保存为草稿")
            return redirect("sales:order_detail", o.no)
        except DocError as e:
            error = _err(e)
            form = {**data, "lines": data["lines"] + [{}] * max(1, 5 - len(data["lines"]))}
    return render(request, "sales/order_form.html", {"form": form, "error": error, "show_price": sees_price(request.user),
                                                      **_lists(request.user)})


def order_detail(request, no):
    o = _order(request, no)
    data = actions.order_json(o, request.user)
    u = request.user
    return render(request, "sales/order_detail.html", {
        "o": o, "d": data, "show_price": sees_price(u), "can_order": can(u, "order_sales"), "can_deliver": can(u, "doc_sales"),
        "can_invoice": can(u, "doc_invoice"), "can_cash": can(u, "doc_cash"),
        "credit": service.credit_exposure(o) if o.customer.credit_limit is not None and o.status == SalesOrder.DRAFT else None})


ACTIONS = {"confirm": ("confirm", "已确认，库存已预留"), "cancel": ("cancel", "已取消，预留已释放"), "close": ("close", "已关闭，未发货部分的预留已释放")}


def order_action(request, no, action):
    if request.method != "POST":
        return redirect("sales:order_detail", no)
    o = _order(request, no)
    try:
        if action == "override":
            req = actions.request_override(request.user, o.no, request.POST.get("reason", ""))
            messages.success(request, f"已提交超信用额度审批（审批单 {req.pk}），审批通过后订单自动确认")
        elif action in ACTIONS:
            fn, msg = ACTIONS[action]
            getattr(actions, fn)(request.user, o.no)
            messages.success(request, f"销售订单 {o.no} {msg}")
        else:
            raise Http404(action)
    except DocError as e:
        if e.code == "not_allowed":
            raise
        messages.error(request, f"{e.message}（{e.code}）")
    return redirect("sales:order_detail", o.no)


def order_print(request, no):
    from stockbook.masterdata.models import Company

    o = _order(request, no)
    ctx = {"o": o, "lines": list(o.lines.select_related("item")), "company": Company.current(), "show_price": sees_price(request.user),
           "pdf": request.GET.get("format") == "pdf"}
    if ctx["pdf"]:
        from stockbook.reports.pdf import html_to_pdf

        resp = HttpResponse(html_to_pdf(render_to_string("sales/order_print.html", ctx, request=request)), content_type="application/pdf")
        resp["Content-Disposition"] = f'{"attachment" if request.GET.get("download") else "inline"}; filename="{o.no}.pdf"'
        return resp
    return render(request, "sales/order_print.html", ctx)


def order_deliver(request, no):
    o = _order(request, no)
    lines = list(o.lines.select_related("item"))
    form = {"date": timezone.localdate().isoformat(), "ref": ""}
    qtys = {ln.line_no: fmt_qty(ln.remaining_base) for ln in lines}
    error = None
    if request.method == "POST":
        p = request.POST
        form = {"date": p.get("date", ""), "ref": p.get("ref", "").strip()}
        qtys = {int(n): q.strip() for n, q in zip(p.getlist("order_line"), p.getlist("qty")) if n.isdigit()}
        try:
            on = _day(form["date"])
            if on is None:
                raise DocError("invalid_value", "出库日期格式不正确", field="date")
            res = actions.deliver(request.user, o.no, {n: q for n, q in qtys.items() if q not in ("", "0")}, on=on, ref=form["ref"] or None)
            if res.posted:
                messages.success(request, f"销售出库单 {res.document.ref} 已过账")
                return redirect("sales:order_detail", o.no)
            messages.info(request, "出库单已提交审批")
            return redirect("sales:order_detail", o.no)
        except DocError as e:
            if e.code == "not_allowed":
                raise
            error = _err(e)
    picks = _fefo_preview(o, lines)
    rows = [{"no": ln.line_no, "item": ln.item, "uom": ln.item.uom, "ordered": fmt_qty(ln.qty_base), "delivered": fmt_qty(ln.delivered_base),
             "open": fmt_qty(ln.remaining_base), "qty": qtys.get(ln.line_no, ""), "gift": ln.gift, "batches": picks.get(ln.line_no)}
            for ln in lines]
    return render(request, "sales/deliver.html", {"o": o, "rows": rows, "form": form, "error": error})


def _fefo_preview(o, lines) -> dict:
    """{order line: "B-1 30；B-2 20"} — the batches FEFO would pick for what is left (batch-managed items only)."""
    bs = delivery._batches()
    if bs is None:
        return {}
    pol = bs.policies([ln.item_id for ln in lines])
    out = {}
    on = timezone.localdate()
    for ln in lines:
        p = pol.get(ln.item_id)
        if p is None or not p.batch_managed or ln.remaining_base <= 0:
            continue
        try:
            out[ln.line_no] = "；".join(f"{code} {fmt_qty(q)}" for code, q in bs.fefo_pick(ln.item, o.warehouse, ln.remaining_base, on))
        except DocError as e:
            out[ln.line_no] = e.message
    return out


def order_invoice(request, no):
    o = _order(request, no)
    rows = delivery.uninvoiced(o)
    form = {"date": timezone.localdate().isoformat(), "ref": ""}
    error = None
    if request.method == "POST":
        p = request.POST
        form = {"date": p.get("date", ""), "ref": p.get("ref", "").strip()}
        keep = set(p.getlist("pick"))
        try:
            on = _day(form["date"])
            if on is None:
                raise DocError("invalid_value", "开票日期格式不正确", field="date")
            pick = [r for r in rows if f"{r['delivery']}:{r['line']}" in keep]
            if not pick:
                raise DocError("invalid_value", "请至少选择一行出库明细", field="lines")
            from stockbook.access import policy

            policy.require(request.user, "doc_invoice")
            from stockbook.posting.service import post

            res = post(delivery.build_invoice(o, on=on, ref=form["ref"] or None, rows=pick), user=request.user, source="web")
            messages.success(request, f"销售发票 {res.document.ref} 已过账" if res.posted else "销售发票已提交审批")
            return redirect("sales:order_detail", o.no)
        except DocError as e:
            if e.code == "not_allowed":
                raise
            error = _err(e)
    show = sees_price(request.user)
    view = [{"key": f"{r['delivery']}:{r['line']}", "delivery": r["delivery"], "line": r["line"], "item": r["item"], "qty": fmt_qty(r["qty_base"]),
             "price": r["unit_price"] if show else None, "tax_rate": r["tax_rate"],
             "amount": fmt_money(int((Decimal(r["qty_base"]) / 10000 * Decimal(r["unit_price"]) * 100).quantize(Decimal(1)))) if show else None}
            for r in rows]
    return render(request, "sales/invoice.html", {"o": o, "rows": view, "form": form, "error": error, "show_price": show})


def order_receipt(request, no):
    from stockbook.ledger.models import Account

    o = _order(request, no)
    form = {"date": timezone.localdate().isoformat(), "ref": "", "amount": "", "account": "1002"}
    error = None
    if request.method == "POST":
        p = request.POST
        form = {k: p.get(k, "").strip() for k in ("date", "ref", "amount", "account")}
        try:
            on = _day(form["date"])
            if on is None:
                raise DocError("invalid_value", "收款日期格式不正确", field="date")
            res = actions.collect(request.user, o.no, form["amount"] or None, account=form["account"] or "1002", on=on, ref=form["ref"] or None)
            messages.success(request, f"收款单 {res.document.ref} 已过账并核销" if res.posted else "收款单已提交审批")
            return redirect("sales:order_detail", o.no)
        except DocError as e:
            if e.code == "not_allowed":
                raise
            error = _err(e)
    from stockbook.posting.handlers.business import open_amount

    invoices = [(d, fmt_money(open_amount(d))) for d in delivery.order_documents(o)["invoices"] if d.status == d.POSTED]
    accounts = list(Account.objects.filter(code__regex=r"^100[12]").order_by("code").values_list("code", "name"))
    return render(request, "sales/receipt.html", {"o": o, "form": form, "error": error, "invoices": invoices, "accounts": accounts})


# -- JSON for the order form ----------------------------------------------------------------------------------
def availability_json(request):
    try:
        return JsonResponse(actions.availability_json(request.user, request.GET.get("warehouse", ""), request.GET.get("items", "").split(",")))
    except DocError as e:
        return JsonResponse({"error": e.code, "message": e.message}, status=422)


def price_json(request):
    g = request.GET
    try:
        return JsonResponse(actions.price_json(request.user, g.get("item", "").strip(), g.get("customer", "").strip(), g.get("qty", "").strip() or "1",
                                               _day(g.get("date")) or timezone.localdate()))
    except DocError as e:
        return JsonResponse({"error": e.code, "message": e.message}, status=422)


# -- quotations ---------------------------------------------------------------------------------------------------
def quotation_list(request):
    actions.require_read(request.user)
    service.expire_overdue()
    g = request.GET
    f = {k: g.get(k, "").strip() for k in ("status", "customer", "q")}
    qs = Quotation.objects.select_related("customer")
    if f["status"] in dict(Quotation.STATUSES):
        qs = qs.filter(status=f["status"])
    if f["customer"]:
        qs = qs.filter(customer__code=f["customer"])
    if f["q"]:
        qs = qs.filter(no__icontains=f["q"])
    page = Paginator(qs, 50).get_page(g.get("page"))
    return render(request, "sales/quotation_list.html", {"page": page, "f": f, "statuses": Quotation.STATUSES, **_lists(request.user)})


def quotation_new(request):
    today = timezone.localdate()
    form = {"date": today.isoformat(), "valid_until": (today.replace(day=1) if False else today).isoformat(), "lines": [{}] * 5}
    error = None
    if request.method == "POST":
        p = request.POST
        data = {"customer": p.get("customer", "").strip(), "warehouse": p.get("warehouse", "").strip() or None, "date": p.get("date", "").strip(),
                "valid_until": p.get("valid_until", "").strip(), "memo": p.get("memo", "").strip(), "lines": _lines_from_post(p)}
        try:
            q = actions.create_quotation(request.user, data)
            messages.success(request, f"报价单 {q.no} 已保存")
            return redirect("sales:quotation_detail", q.no)
        except DocError as e:
            error = _err(e)
            form = {**data, "lines": data["lines"] + [{}] * max(1, 5 - len(data["lines"]))}
    return render(request, "sales/quotation_form.html", {"form": form, "error": error, "show_price": sees_price(request.user), **_lists(request.user)})


def quotation_detail(request, no):
    try:
        q = actions.get_quotation(request.user, no)
    except DocError as e:
        if e.code == "unknown_reference":
            raise Http404(e.message) from None
        raise
    return render(request, "sales/quotation_detail.html", {"q": q, "d": actions.quotation_json(q, request.user), "show_price": sees_price(request.user),
                                                            "can_order": can(request.user, "order_sales"), **_lists(request.user)})


def quotation_action(request, no, action):
    if request.method != "POST":
        return redirect("sales:quotation_detail", no)
    try:
        out = actions.quotation_step(request.user, no, action, warehouse=request.POST.get("warehouse") or None)
        if action == "convert":
            messages.success(request, f"已转为销售订单 {out.no}（草稿）")
            return redirect("sales:order_detail", out.no)
        messages.success(request, f"报价单 {no} 状态：{out.get_status_display()}")
    except DocError as e:
        if e.code == "not_allowed":
            raise
        messages.error(request, f"{e.message}（{e.code}）")
    return redirect("sales:quotation_detail", no)


# -- reservations and price rules ---------------------------------------------------------------------------------
def reservation_list(request):
    g = request.GET
    f = {k: g.get(k, "").strip() for k in ("item", "warehouse")}
    rows = actions.reservations(request.user, f["item"], f["warehouse"])
    page = Paginator(rows, 100).get_page(g.get("page"))
    from . import availability

    keys = {(r.item_id, r.warehouse_id) for r in page}
    oh = availability.on_hand({k[0] for k in keys}, {k[1] for k in keys}) if keys else {}
    rs = availability.reserved({k[0] for k in keys}, {k[1] for k in keys}) if keys else {}
    view = [{"r": r, "qty": fmt_qty(r.qty_base), "on_hand": fmt_qty(oh.get((r.item_id, r.warehouse_id), 0)),
             "reserved": fmt_qty(rs.get((r.item_id, r.warehouse_id), 0)),
             "available": fmt_qty(oh.get((r.item_id, r.warehouse_id), 0) - rs.get((r.item_id, r.warehouse_id), 0))} for r in page]
    return render(request, "sales/reservations.html", {"page": page, "rows": view, "f": f, **_lists(request.user)})


def price_rules(request):
    error = None
    if request.method == "POST":
        from stockbook.access import policy

        policy.require(request.user, "order_sales")
        p = request.POST
        try:
            if p.get("delete"):
                PriceRule.objects.filter(pk=p.get("delete")).update(active=False)
                messages.success(request, "价格政策已停用")
                return redirect("sales:price_rules")
            from stockbook.core.money import parse_price, parse_qty, to_qty_units

            item = Item.objects.filter(code=p.get("item", "").strip()).first()
            if item is None:
                raise DocError("unknown_item", f"存货 {p.get('item', '')} 不存在", field="item")
            cust = None
            if p.get("customer", "").strip():
                cust = Customer.objects.filter(code=p["customer"].strip()).first()
                if cust is None:
                    raise DocError("unknown_party", f"客户 {p['customer']} 不存在", field="customer")
            vf, vt = _day(p.get("valid_from")), _day(p.get("valid_to"))
            if (p.get("valid_from") and vf is None) or (p.get("valid_to") and vt is None) or (vf and vt and vt < vf):
                raise DocError("invalid_value", "有效期不正确", field="valid_to")
            PriceRule.objects.create(item=item, customer=cust, min_qty=to_qty_units(parse_qty(p.get("min_qty") or "0", "min_qty", allow_zero=True)),
                                     unit_price=parse_price(p.get("unit_price", "").strip() or None, "unit_price"), valid_from=vf, valid_to=vt,
                                     memo=p.get("memo", "").strip()[:200])
            messages.success(request, "价格政策已保存")
            return redirect("sales:price_rules")
        except DocError as e:
            if e.code == "not_allowed":
                raise
            error = _err(e)
    rules = PriceRule.objects.filter(active=True).select_related("item", "customer").order_by("item__code", "customer__code", "min_qty")
    return render(request, "sales/prices.html", {"rules": rules, "error": error, "can_order": can(request.user, "order_sales"),
                                                  "show_price": sees_price(request.user), **_lists(request.user)})
