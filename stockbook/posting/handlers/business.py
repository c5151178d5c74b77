"""Business documents (contract section 3): fields checked in the contract's order, then ``write``
stores the document lines and hands them to posting.effects (costing, voucher, corrections).

Referenced documents must exist (unknown_reference), belong to the same party (invalid_value) and not be
later by (date, time) than the referring document (invalid_value); then ``line`` (an integer; a missing
line is unknown_reference). Quantity limits are checked right after each line's fields, over the totals
of all accepted documents.
"""
from datetime import time as dtime
from decimal import Decimal
from fractions import Fraction

from django.db import connection
from django.db.models import Q, Sum

from stockbook.core.errors import DocError
from stockbook.core.money import parse_money, parse_price, parse_qty, parse_rate, round2, to_fen, to_qty_units
from stockbook.ledger.models import PartyBalance
from stockbook.masterdata.models import Item
from stockbook.stock.engine.arith import part
from stockbook.stock.events import frac_text

from .. import effects, extensions
from ..fields import MISSING, get, opt_str, req_list, req_obj, req_str
from ..models import Document, DocumentLine
from .units import base_qty

TYPE_ZH = {"purchase_receipt": "采购入库单", "sales_delivery": "销售出库单", "stock_count": "盘点单",
           "purchase_invoice": "采购发票", "sales_invoice": "销售发票"}
RED_TYPES = ("purchase_red_invoice", "sales_red_invoice")


# -- field readers --------------------------------------------------------------------------
def _line_err(n, fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except DocError as e:
        if e.line is None:
            e.line = n
        raise


def _party(ctx, key, kind):
    code = req_str(ctx.obj, key, "供应商" if kind == "supplier" else "客户")
    rec = getattr(ctx.books, kind)(code)
    if rec is None:
        raise DocError("unknown_party", f"{'供应商' if kind == 'supplier' else '客户'} {code} 不存在", field=key)
    if not rec.active:
        raise DocError("invalid_value", f"{code} 已停用", field=key)
    return rec


def _warehouse(ctx, key):
    code = req_str(ctx.obj, key, "仓库")
    wh = ctx.books.warehouse(code)
    if wh is None:
        raise DocError("unknown_warehouse", f"仓库 {code} 不存在", field=key)
    if not wh.active:
        raise DocError("invalid_value", f"仓库 {code} 已停用", field=key)
    return wh


def _item(ctx, ln):
    code = req_str(ln, "item", "存货")
    item = ctx.books.item(code)
    if item is None:
        raise DocError("unknown_item", f"存货 {code} 不存在", field="item")
    if not item.active:
        raise DocError("invalid_value", f"存货 {code} 已停用", field="item")
    return item


def _qty(ctx, ln, item, key="qty", allow_zero=False):
    q = parse_qty(get(ln, key) if get(ln, key) is not MISSING else None, key, allow_zero=allow_zero)
    uom, qbase = base_qty(ctx.books, item, ln, q)
    return q, uom, qbase


def _when(doc_or_ctx):
    return (doc_or_ctx.date, doc_or_ctx.time or dtime(0))


def _ref_doc(ctx, key, typ, party_attr=None, party=None, cache=None):
    """The referenced document of ``typ``: exists, same party, not later."""
    ref = get(ctx.obj if cache is None else cache["obj"], key)
    if not isinstance(ref, str) or not ref:
        raise DocError("invalid_value", f"缺少引用单据 {key}", field=key)
    if cache is not None and ref in cache["docs"]:
        return cache["docs"][ref]
    # locked until commit: two invoices (or allocations) of one receipt (or invoice) then check their
    # limits one after the other, each seeing what the other wrote (PostgreSQL; SQLite writers are serial)
    doc = Document.objects.select_for_update().filter(type=typ, ref=ref, status=Document.POSTED).first()
    if doc is None:
        raise DocError("unknown_reference", f"{TYPE_ZH.get(typ, typ)} {ref} 不存在", field=key)
    if party_attr and getattr(doc, party_attr) != party.pk:
        raise DocError("invalid_value", f"{TYPE_ZH.get(typ, typ)} {ref} 不属于同一{'供应商' if party_attr == 'supplier_id' else '客户'}", field=key)
    if _when(doc) > _when(ctx):
        raise DocError("invalid_value", f"引用的{TYPE_ZH.get(typ, typ)} {ref} 晚于本单据", field=key)
    if cache is not None:
        cache["docs"][ref] = doc
    return doc


def _ref_line(ln, doc) -> DocumentLine:
    n = get(ln, "line")
    if isinstance(n, bool) or not isinstance(n, int):
        raise DocError("invalid_value", "line 必须是整数行号", field="line")
    row = DocumentLine.objects.filter(document=doc, line_no=n).select_related("item").first() if n >= 1 else None
    if row is None:
        raise DocError("unknown_reference", f"{doc.ref} 没有第 {n} 行", field="line")
    return row


def _used(ref_line: DocumentLine, types) -> int:
    """Quantity (base units) of ``ref_line`` taken by posted (not voided) documents of ``types``, less what red
    invoices of its invoices gave back (docs/contract-extensions.md) — one query."""
    lt, dt = DocumentLine._meta.db_table, Document._meta.db_table
    sql = (f"SELECT (SELECT COALESCE(SUM(l.qty_base), 0) FROM {lt} l JOIN {dt} d ON d.id = l.document_id "
           f"WHERE l.ref_document_id = %s AND l.ref_line = %s AND d.status = %s AND d.type IN ({', '.join(['%s'] * len(types))})), "
           f"(SELECT COALESCE(SUM(r.qty_base), 0) FROM {lt} b JOIN {lt} r ON r.ref_document_id = b.document_id AND r.ref_line = b.line_no "
           f"JOIN {dt} rd ON rd.id = r.document_id WHERE b.ref_document_id = %s AND b.ref_line = %s "
           f"AND rd.type IN (%s, %s) AND rd.status = %s)")
    with connection.cursor() as cur:
        cur.execute(sql, [ref_line.document_id, ref_line.line_no, Document.POSTED, *types, ref_line.document_id, ref_line.line_no, *RED_TYPES,
                          Document.POSTED])
        taken, red = cur.fetchone()
    return int(taken) - int(red)


def _net(qty, price):
    return to_fen(round2(qty * price))


def _tax_rate(ln, item):
    if get(ln, "tax_rate") is not MISSING:
        return parse_rate(ln["tax_rate"])
    if item.tax_rate is None:
        raise DocError("invalid_value", f"发票行缺少税率，存货 {item.code} 也没有默认税率", field="tax_rate")
    return item.tax_rate


class Pending:
    """What write() stores: header fields and DocumentLine kwargs."""

    def __init__(self, **header):
        self.header = header
        self.lines: list[dict] = []


UNIT_SUSPECT = 100  # a line 100× above or below the item's usual quantity: probably the wrong unit (吨/公斤)
UNIT_HISTORY = 20  # the item's latest lines that say what is usual


def unit_warnings(lines: list[dict]) -> list[str]:
    """Warn (not reject) when a line's base quantity is far outside the item's recent lines (one query:
    the latest lines of the document's items)."""
    items = {ln["item"].pk: ln["item"] for ln in lines if ln.get("item") is not None and ln.get("qty_base")}
    if not items:
        return []
    hist: dict[int, list[int]] = {}
    table = DocumentLine._meta.db_table
    ids = sorted(items)
    rows = f"FROM {table} WHERE item_id = {{}} AND qty_base > 0 ORDER BY id DESC LIMIT {UNIT_HISTORY}"
    with connection.cursor() as cur:  # per item through the item index (cost independent of history), one round trip
        if connection.vendor == "postgresql":  # one plan for any number of items (planning a UNION ALL cost more than running it)
            cur.execute(f"SELECT i, q.qty_base FROM unnest(%s::bigint[]) AS i CROSS JOIN LATERAL (SELECT qty_base {rows.format('i')}) q",
                        [ids])
        else:
            cur.execute(" UNION ALL ".join(f"SELECT * FROM (SELECT item_id, qty_base {rows.format('%s')}) q{k}" for k in range(len(ids))),
                        ids)
        for item_id, q in cur.fetchall():
            hist.setdefault(item_id, []).append(q)
    out = []
    for ln in lines:
        item, q = ln.get("item"), ln.get("qty_base")
        h = sorted(hist.get(item.pk, [])) if item is not None and q else []
        if len(h) < 3:
            continue
        median = h[len(h) // 2]
        if q >= median * UNIT_SUSPECT or q * UNIT_SUSPECT <= median:
            out.append(f"第 {ln['line_no']} 行 {item.code} {item.name} 数量 {q / 10000:g} {item.uom} 与以往（常见 {median / 10000:g} {item.uom}）"
                       f"相差百倍以上，请检查计量单位是否选错（如 吨 与 公斤）")
    return out


def _writer(ctx, pending: Pending):
    ctx.warnings.extend(unit_warnings(pending.lines))
    ctx.header.update(pending.header)

    def write(doc):
        lines = [DocumentLine(document=doc, **kw) for kw in pending.lines]
        return effects.apply(doc, lines, ctx.books, ctx.user)

    return write


def _item_lines(ctx, p: Pending, wh, priced=False, gifts=False, **extra):
    """Lines of item, qty, uom? (and unit_price when ``priced``), checked in that order, line by line.
    ``gifts``: a line with ``"gift": true`` (赠品, docs/contract-extensions.md) may have unit_price 0."""
    raw_lines = req_list(ctx.obj, "lines", "明细行 lines")
    ctx.books.prefetch(Item, [ln.get("item") for ln in raw_lines if isinstance(ln, dict)])
    for n, raw in enumerate(raw_lines, 1):
        def one(raw=raw, n=n):
            ln = req_obj(raw, "lines")
            item = _item(ctx, ln)
            q, uom, qbase = _qty(ctx, ln, item)
            row = dict(line_no=n, item=item, warehouse=wh, uom=uom, qty=to_qty_units(q), qty_base=qbase, **extra)
            if priced:
                price = parse_price(get(ln, "unit_price") if get(ln, "unit_price") is not MISSING else None, "unit_price",
                                    allow_zero=gifts and get(ln, "gift") is True)
                row.update(unit_price=str(price), amount=_net(q, price))
            p.lines.append(row)
        _line_err(n, one)


# -- purchasing -----------------------------------------------------------------------------
def purchase_receipt(ctx):
    supplier = _party(ctx, "supplier", "supplier")
    wh = _warehouse(ctx, "warehouse")
    p = Pending(supplier=supplier, warehouse=wh)
    _item_lines(ctx, p, wh, priced=True)
    return _writer(ctx, p)


def purchase_invoice(ctx):
    return _invoice(ctx, "supplier", "purchase_receipt", "receipt", ("purchase_invoice", "purchase_return"),
                    "invoice_exceeds_receipt", "入库")


def sales_invoice(ctx):
    return _invoice(ctx, "customer", "sales_delivery", "delivery", ("sales_invoice", "sales_return"),
                    "invoice_exceeds_delivery", "出库")


def _invoice(ctx, party_kind, ref_type, ref_key, used_types, exceed_code, word):
    party = _party(ctx, party_kind, party_kind)
    p = Pending(**{party_kind: party})
    cache = {"docs": {}}
    taken_here: dict[tuple, int] = {}
    for n, raw in enumerate(req_list(ctx.obj, "lines", "明细行 lines"), 1):
        def one(raw=raw, n=n):
            ln = req_obj(raw, "lines")
            cache["obj"] = ln
            ref_doc = _ref_doc(ctx, ref_key, ref_type, f"{party_kind}_id", party, cache)
            ref_line = _ref_line(ln, ref_doc)
            item = ref_line.item
            q, uom, qbase = _qty(ctx, ln, item)
            # a gift line (delivered at price 0) is invoiced at 0 (赠品 on the invoice of its sale)
            gift = ref_type == "sales_delivery" and ref_line.amount == 0 and ref_line.unit_price and not Decimal(ref_line.unit_price)
            price = parse_price(get(ln, "unit_price") if get(ln, "unit_price") is not MISSING else None, "unit_price", allow_zero=gift)
            rate = _tax_rate(ln, item)
            key = (ref_doc.id, ref_line.line_no)
            used = _used(ref_line, used_types) + taken_here.get(key, 0)
            if used + qbase > ref_line.qty_base:
                raise DocError(exceed_code, f"{ref_doc.ref} 第 {ref_line.line_no} 行{word} {ref_line.qty_base / 10000:g}，"
                                            f"已开票或退货 {used / 10000:g}，本次 {qbase / 10000:g} 超出", field="qty")
            taken_here[key] = taken_here.get(key, 0) + qbase
            net = _net(q, price)
            p.lines.append(dict(line_no=n, item=item, warehouse=ref_line.warehouse, uom=uom, qty=to_qty_units(q),
                                qty_base=qbase, unit_price=str(price), amount=net, tax=to_fen(round2(round2(q * price) * rate)),
                                ref_document=ref_doc, ref_line=ref_line.line_no))
        _line_err(n, one)
    plan = _payment_plan(ctx, sum(x["amount"] + x["tax"] for x in p.lines))
    write = _writer(ctx, p)
    if not plan:
        return write

    def write_with_plan(doc):
        from ..models import PaymentPlanLine

        vouchers = write(doc)
        PaymentPlanLine.objects.bulk_create([PaymentPlanLine(document=doc, seq=i, due_date=d, amount=a) for i, (d, a) in enumerate(plan, 1)])
        return vouchers

    return write_with_plan


def _payment_plan(ctx, gross: int) -> list[tuple]:
    """收付款计划 (docs/contract-extensions.md §3): optional ``payment_plan``, a non-empty list of {due_date,
    amount}: dates valid and not before the invoice, amounts > 0, summing to the invoice's gross."""
    from ..fields import parse_date

    raw = get(ctx.obj, "payment_plan")
    if raw is MISSING:
        return []
    if not isinstance(raw, list) or not raw:
        raise DocError("invalid_value", "payment_plan 必须是非空数组", field="payment_plan")
    out = []
    for n, it in enumerate(raw, 1):
        if not isinstance(it, dict):
            raise DocError("invalid_value", f"payment_plan 第 {n} 项必须是对象", field="payment_plan")
        d = it.get("due_date")
        try:
            due = parse_date(d if isinstance(d, str) else None)
        except DocError:
            raise DocError("invalid_value", f"payment_plan 第 {n} 项的到期日 due_date 无效", field="payment_plan") from None
        if due < ctx.date:
            raise DocError("invalid_value", f"payment_plan 第 {n} 项的到期日早于发票日期", field="payment_plan")
        amt = to_fen(parse_money(it.get("amount"), "payment_plan"))
        out.append((due, amt))
    if sum(a for _, a in out) != gross:
        raise DocError("invalid_value", f"收付款计划合计 {sum(a for _, a in out) / 100:.2f} 不等于发票价税合计 {gross / 100:.2f}",
                       field="payment_plan")
    return sorted(out)


# -- red invoices (红字发票), docs/contract-extensions.md ------------------------------------------
def purchase_red_invoice(ctx):
    return _red_invoice(ctx, "supplier", "purchase_invoice")


def sales_red_invoice(ctx):
    return _red_invoice(ctx, "customer", "sales_invoice")


def _red_invoice(ctx, party_kind, blue_type):
    """Lines: invoice (a blue invoice of the same party, not later), line, qty, uom?. A red line cancels q
    of the blue line at the blue's price and tax rate: its net and tax are the parts of the blue line's
    (the part completing the blue line takes what is left), Σ red qty ≤ blue qty (red_exceeds_original)."""
    party = _party(ctx, party_kind, party_kind)
    p = Pending(**{party_kind: party})
    cache = {"docs": {}}
    here: dict[tuple, list[int]] = {}  # (blue doc, line) → [qty, net, tax] of this document's earlier lines
    for n, raw in enumerate(req_list(ctx.obj, "lines", "明细行 lines"), 1):
        def one(raw=raw, n=n):
            ln = req_obj(raw, "lines")
            cache["obj"] = ln
            blue = _ref_doc(ctx, "invoice", blue_type, f"{party_kind}_id", party, cache)
            bl = _ref_line(ln, blue)
            q, uom, qbase = _qty(ctx, ln, bl.item)
            key = (blue.id, bl.line_no)
            prev = DocumentLine.objects.filter(ref_document_id=blue.id, ref_line=bl.line_no, document__type__in=RED_TYPES,
                                               document__status=Document.POSTED).aggregate(q=Sum("qty_base"), a=Sum("amount"), t=Sum("tax"))
            h = here.get(key, [0, 0, 0])
            used, net_used, tax_used = (int(prev["q"] or 0) + h[0], int(prev["a"] or 0) + h[1], int(prev["t"] or 0) + h[2])
            if used + qbase > bl.qty_base:
                raise DocError("red_exceeds_original", f"{blue.ref} 第 {bl.line_no} 行开票 {bl.qty_base / 10000:g}，已红冲 "
                                                       f"{used / 10000:g}，本次 {qbase / 10000:g} 超出", field="qty")
            if used + qbase == bl.qty_base:
                net, tax = bl.amount - net_used, (bl.tax or 0) - tax_used
            else:
                net, tax = part(bl.amount, qbase, bl.qty_base), part(bl.tax or 0, qbase, bl.qty_base)
            here[key] = [h[0] + qbase, h[1] + net, h[2] + tax]
            p.lines.append(dict(line_no=n, item=bl.item, warehouse=bl.warehouse, uom=uom, qty=to_qty_units(q), qty_base=qbase,
                                unit_price=bl.unit_price, amount=net, tax=tax, ref_document=blue, ref_line=bl.line_no))
        _line_err(n, one)
    return _writer(ctx, p)


def purchase_return(ctx):
    return _return(ctx, "purchase_receipt", "receipt", "supplier_id", ("purchase_invoice", "purchase_return"), "入库")


def sales_return(ctx):
    return _return(ctx, "sales_delivery", "delivery", "customer_id", ("sales_invoice", "sales_return"), "出库")


def _return(ctx, ref_type, ref_key, party_attr, used_types, word):
    ref_doc = _ref_doc(ctx, ref_key, ref_type)
    p = Pending(**{party_attr[:-3]: getattr(ref_doc, party_attr[:-3])}, warehouse=ref_doc.warehouse, ref_document=ref_doc)
    taken_here: dict[int, int] = {}
    for n, raw in enumerate(req_list(ctx.obj, "lines", "明细行 lines"), 1):
        def one(raw=raw, n=n):
            ln = req_obj(raw, "lines")
            ref_line = _ref_line(ln, ref_doc)
            q, uom, qbase = _qty(ctx, ln, ref_line.item)
            used = _used(ref_line, used_types) + taken_here.get(ref_line.line_no, 0)
            if used + qbase > ref_line.qty_base:
                raise DocError("return_exceeds_original", f"{ref_doc.ref} 第 {ref_line.line_no} 行{word} {ref_line.qty_base / 10000:g}，"
                                                          f"已开票或退货 {used / 10000:g}，本次退货 {qbase / 10000:g} 超出可退数量", field="qty")
            taken_here[ref_line.line_no] = taken_here.get(ref_line.line_no, 0) + qbase
            p.lines.append(dict(line_no=n, item=ref_line.item, warehouse=ref_line.warehouse, uom=uom, qty=to_qty_units(q),
                                qty_base=qbase, ref_document=ref_doc, ref_line=ref_line.line_no))
        _line_err(n, one)
    return _writer(ctx, p)


# -- sales ----------------------------------------------------------------------------------
def sales_delivery(ctx):
    customer = _party(ctx, "customer", "customer")
    wh = _warehouse(ctx, "warehouse")
    p = Pending(customer=customer, warehouse=wh)
    _item_lines(ctx, p, wh, priced=True, gifts=True)
    # 7. credit limit: the customer's 1122 balance over all accepted documents + this delivery's net
    if customer.credit_limit is not None:
        type(customer).objects.select_for_update().filter(pk=customer.pk).first()  # one delivery of a customer at a time
        balance = PartyBalance.receivable(customer.pk)
        total = balance + sum(x["amount"] for x in p.lines)
        if total > customer.credit_limit and not extensions.credit_override(ctx, customer, total):
            raise DocError("credit_limit_exceeded", f"客户 {customer.code} 应收余额 {balance / 100:.2f} 加本单 "
                                                    f"{(total - balance) / 100:.2f} 超出信用额度 {customer.credit_limit / 100:.2f}")
    return _writer(ctx, p)


# -- stock ------------------------------------------------------------------------------------
def transfer(ctx):
    src = _warehouse(ctx, "from")
    dst = _warehouse(ctx, "to")
    if src.pk == dst.pk:
        raise DocError("invalid_value", "调出仓库与调入仓库不能相同", field="to")
    p = Pending(warehouse=src)
    _item_lines(ctx, p, src, to_warehouse=dst)
    return _writer(ctx, p)


def scrap(ctx):
    wh = _warehouse(ctx, "warehouse")
    reason = opt_str(ctx.obj, "reason", "报废原因", 500) or ""
    p = Pending(warehouse=wh, memo=reason)
    _item_lines(ctx, p, wh)
    return _writer(ctx, p)


def stock_count(ctx):
    wh = _warehouse(ctx, "warehouse")
    p = Pending(warehouse=wh)
    seen = set()
    for n, raw in enumerate(req_list(ctx.obj, "lines", "明细行 lines"), 1):
        def one(raw=raw, n=n):
            ln = req_obj(raw, "lines")
            item = _item(ctx, ln)
            if item.pk in seen:
                raise DocError("invalid_value", f"存货 {item.code} 在盘点单中重复出现", field="item")
            seen.add(item.pk)
            q, uom, qbase = _qty(ctx, ln, item, "counted_qty", allow_zero=True)
            unit_cost = ""
            if get(ln, "unit_cost") is not MISSING:
                c = parse_price(ln["unit_cost"], "unit_cost", allow_zero=True)
                factor = Fraction(qbase, to_qty_units(q)) if q else Fraction(_factor(ctx, item, ln))
                # 分 per 1/10000 base unit
                unit_cost = frac_text(Fraction(c) * 100 / (factor * 10000))
            p.lines.append(dict(line_no=n, item=item, warehouse=wh, uom=uom, qty=to_qty_units(q), qty_base=qbase, unit_cost=unit_cost))
        _line_err(n, one)
    return _writer(ctx, p)


def _factor(ctx, item, ln):
    uom = get(ln, "uom")
    if uom is MISSING or uom == item.uom:
        return 1
    return ctx.books.item_units(item)[uom]


def count_settlement(ctx):
    count = _ref_doc(ctx, "count", "stock_count")
    # 7. a count is settled once
    if Document.objects.filter(type="count_settlement", ref_document=count, status=Document.POSTED).exists():
        raise DocError("invalid_value", f"盘点单 {count.ref} 已经处理过", field="count")
    p = Pending(warehouse=count.warehouse, ref_document=count)
    return _writer(ctx, p)


# -- money --------------------------------------------------------------------------------------
def customer_receipt(ctx):
    return _money(ctx, "customer", "sales_invoice")


def supplier_payment(ctx):
    return _money(ctx, "supplier", "purchase_invoice")


def _money(ctx, kind, invoice_type):
    party = _party(ctx, kind, kind)
    code = req_str(ctx.obj, "account", "收付款科目")
    account = ctx.books.account(code)
    if account is None:
        raise DocError("unknown_account", f"科目 {code} 不存在", field="account")
    if not (code.startswith("1001") or code.startswith("1002")):
        raise DocError("invalid_value", "收付款科目必须是 1001 库存现金、1002 银行存款或其下级科目", field="account")
    amount = to_fen(parse_money(get(ctx.obj, "amount") if get(ctx.obj, "amount") is not MISSING else None, "amount"))
    prepayment = get(ctx.obj, "prepayment")  # 预收/预付 (docs/contract-extensions.md): to 2203 / 1123, no allocations
    if prepayment is not MISSING and not isinstance(prepayment, bool):
        raise DocError("invalid_value", "prepayment 必须是 true 或 false", field="prepayment")
    prepayment = prepayment is True
    p = Pending(**{kind: party}, account=account, amount=amount, prepayment=prepayment)
    allocs = get(ctx.obj, "allocations")
    if allocs is not MISSING and prepayment:
        raise DocError("invalid_value", "预收/预付款不能核销发票，请用预收冲应收（advance_application）核销", field="allocations")
    _allocations(ctx, p, kind, invoice_type, allocs, amount)
    return _writer(ctx, p)


def advance_application(ctx):
    """预收冲应收 / 预付冲应付: customer or supplier, amount, allocations?: invoice, amount. Dr 2203 / Cr 112201
    (customer), Dr 220201 / Cr 1123 (supplier). The party's open prepayment balance (prepayments − applications,
    in date order) may never go negative (invalid_value)."""
    has_c, has_s = get(ctx.obj, "customer") is not MISSING, get(ctx.obj, "supplier") is not MISSING
    if has_c and has_s:
        raise DocError("invalid_value", "预收预付冲销只能指定客户或供应商之一", field="supplier")
    kind = "supplier" if has_s else "customer"
    party = _party(ctx, kind, kind)
    amount = to_fen(parse_money(get(ctx.obj, "amount") if get(ctx.obj, "amount") is not MISSING else None, "amount"))
    p = Pending(**{kind: party}, amount=amount)
    _allocations(ctx, p, kind, "sales_invoice" if kind == "customer" else "purchase_invoice", get(ctx.obj, "allocations"), amount)
    # 7. the open prepayment balance, at the application's date and every later point
    type(party).objects.select_for_update().filter(pk=party.pk).first()  # one application of a party at a time
    events = sorted([(d, t or dtime(0), i, a) for d, t, i, a in prepayment_events(kind, party.pk)]
                    + [(ctx.date, ctx.time or dtime(0), 1 << 62, -amount)])
    bal = 0
    for d, t, _i, a in events:
        bal += a
        if bal < 0 and (d, t) >= _when(ctx):
            what = "预收" if kind == "customer" else "预付"
            raise DocError("invalid_value", f"{party.code} 的{what}款余额不足：冲销 {amount / 100:.2f} 后在 {d.isoformat()} 为 "
                                            f"{bal / 100:.2f}", field="amount")
    return _writer(ctx, p)


def prepayment_events(kind: str, party_id: int) -> list[tuple]:
    """(date, time, id, ±amount) of a party's posted prepayments (+) and advance applications (−)."""
    money = "customer_receipt" if kind == "customer" else "supplier_payment"
    rows = Document.objects.filter(Q(type=money, prepayment=True) | Q(type="advance_application"), status=Document.POSTED,
                                   **{f"{kind}_id": party_id}).values_list("date", "time", "id", "type", "amount")
    return [(d, t, i, a if typ == money else -a) for d, t, i, typ, a in rows]


def _allocations(ctx, p, kind, invoice_type, allocs, amount):
    party = p.header[kind]
    if allocs is not MISSING:
        if not isinstance(allocs, list):
            raise DocError("invalid_value", "allocations 必须是数组", field="allocations")
        cache = {"docs": {}}
        here: dict[int, int] = {}
        for n, raw in enumerate(allocs, 1):
            def one(raw=raw, n=n):
                a = req_obj(raw, "allocations")
                cache["obj"] = a
                inv = _ref_doc(ctx, "invoice", invoice_type, f"{kind}_id", party, cache)
                amt = to_fen(parse_money(get(a, "amount") if get(a, "amount") is not MISSING else None, "amount"))
                open_amt = open_amount(inv) - here.get(inv.id, 0)
                if amt > open_amt:
                    raise DocError("invalid_value", f"核销金额 {amt / 100:.2f} 超过发票 {inv.ref} 未核销金额 {open_amt / 100:.2f}", field="amount")
                here[inv.id] = here.get(inv.id, 0) + amt
                p.lines.append(dict(line_no=n, ref_document=inv, amount=amt))
            _line_err(n, one)
        if sum(x["amount"] for x in p.lines) > amount:
            raise DocError("invalid_value", "核销合计超过收付款金额", field="allocations")


def open_amount(invoice: Document, reds: bool = False) -> int:
    """gross − allocations (the contract's allocation limit); ``reds``: also − its red invoices (what the reports
    show open; negative: the red invoice left the party a credit). Allocations are not limited by red
    invoices: a red invoice may come before or after a payment, and what is accepted must not depend on the
    order of posting (docs/contract-extensions.md)."""
    gross = DocumentLine.objects.filter(document=invoice).aggregate(a=Sum("amount"), t=Sum("tax"))
    allocated = DocumentLine.objects.filter(ref_document=invoice, document__type__in=("customer_receipt", "supplier_payment", "advance_application"),
                                            document__status=Document.POSTED).aggregate(a=Sum("amount"))["a"] or 0
    if not reds:
        return (gross["a"] or 0) + (gross["t"] or 0) - allocated
    red = DocumentLine.objects.filter(ref_document=invoice, document__type__in=RED_TYPES,
                                      document__status=Document.POSTED).aggregate(a=Sum("amount"), t=Sum("tax"))
    return (gross["a"] or 0) + (gross["t"] or 0) - allocated - int(red["a"] or 0) - int(red["t"] or 0)
