"""客户/供应商对账单 (statement): one party over a date range — opening balance, every invoice and
receipt (payment) in the range with a running balance, closing balance, and the party's aging as of the
range's end (docs/ar-ap.md).

The balance is what the party owes us (customer, 112201 direction: invoices debit, receipts credit) or what
we owe it (supplier, 220201: invoices credit, payments debit), over posted documents; so the closing
balance equals the party's aging total as of ``to``. Returns act on deliveries (receipts) not yet invoiced
(112202 / 220202 in the contract), never on an invoice, so they do not move this balance.
"""
from datetime import date, timedelta

from django.db.models import Q, Sum

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money

from .aging import AR, AP, BUCKETS, BUCKET_TITLES, RED_TYPE, open_items, prepaid
from .base import Column, Report

TYPE_TITLES = {"sales_invoice": "销售发票", "customer_receipt": "收款", "purchase_invoice": "采购发票", "supplier_payment": "付款",
               "sales_red_invoice": "红字销售发票", "purchase_red_invoice": "红字采购发票", "advance_application": "预收预付冲销"}


def _side_and_party(p: dict):
    from .aging import resolve_party

    if p.get("customer") and p.get("supplier"):
        raise DocError("invalid_value", "对账单只能指定一个往来单位：--customer 或 --supplier")
    if not p.get("customer") and not p.get("supplier"):
        raise DocError("invalid_value", "对账单需要 --customer 或 --supplier", field="customer")
    side = AR if p.get("customer") else AP
    party = resolve_party(side, p[side.party])
    scope = p.get("scope_regions")
    if scope is not None and party.region_id not in scope:
        raise DocError("not_allowed", f"{side.party_title} {party.code} 不在您的数据范围内", field=side.party)
    return side, party


def statement(p: dict) -> Report:
    start, end = p.get("start"), p.get("end")
    if not start or not end:
        raise DocError("invalid_value", "对账单需要 --from 与 --to 日期", field="from")
    if start > end:
        raise DocError("invalid_value", "开始日期不能晚于结束日期", field="from")
    side, party = _side_and_party(p)
    return build_statement(side, party, start, end)


def _gross_by_invoice(side, party, q, typ=None):
    from stockbook.posting.models import Document, DocumentLine

    rows = DocumentLine.objects.filter(document__type=typ or side.invoice_type, document__status=Document.POSTED,
                                       **{f"document__{side.party}": party}).filter(q)
    agg = rows.values("document_id").annotate(a=Sum("amount"), t=Sum("tax")).order_by()
    return {r["document_id"]: int(r["a"] or 0) + int(r["t"] or 0) for r in agg}


def build_statement(side, party, start: date, end: date) -> Report:
    from stockbook.posting.models import Document, DocumentLine

    # opening: invoices − receipts dated before ``start``
    inv_before = sum(_gross_by_invoice(side, party, Q(document__date__lt=start)).values())
    # prepayments (预收/预付, docs/contract-extensions.md) stay out of the balance until applied
    paid_before = Document.objects.filter(Q(type=side.money_type, prepayment=False) | Q(type="advance_application"),
                                          status=Document.POSTED, date__lt=start, **{side.party: party}).aggregate(a=Sum("amount"))["a"] or 0
    paid_before = int(paid_before)
    red_type = RED_TYPE[side.invoice_type]  # a red invoice (红字发票) lowers the balance like a receipt (payment)
    red_before = sum(_gross_by_invoice(side, party, Q(document__date__lt=start), red_type).values())
    opening = inv_before - paid_before - red_before

    gross = _gross_by_invoice(side, party, Q(document__date__gte=start, document__date__lte=end))
    gross.update(_gross_by_invoice(side, party, Q(document__date__gte=start, document__date__lte=end), red_type))
    docs = list(Document.objects.filter(Q(type=side.invoice_type) | Q(type=side.money_type) | Q(type=red_type) | Q(type="advance_application"),
                                        status=Document.POSTED, date__gte=start, date__lte=end, **{side.party: party}).order_by("date", "id")
                .values_list("id", "type", "date", "ref", "amount", "memo", "prepayment"))
    allocs: dict[int, list[tuple[str, int]]] = {}
    for rid, iref, amt in DocumentLine.objects.filter(document_id__in=[d[0] for d in docs if d[1] in (side.money_type, "advance_application")],
                                                      ref_document__isnull=False).order_by("document_id", "line_no") \
            .values_list("document_id", "ref_document__ref", "amount"):
        allocs.setdefault(rid, []).append((iref, amt or 0))

    # in the party's own direction: debit/credit as on 112201 (customer) or 220201 (supplier)
    inc_key, dec_key = ("debit", "credit") if side is AR else ("credit", "debit")
    bal = opening
    lines, rows = [], []
    sum_inc = sum_dec = 0
    for doc_id, typ, d, ref, amount, memo, prepayment in docs:
        if prepayment:
            inc = dec = 0
            what = "预收款，计入 2203 预收账款" if side is AR else "预付款，计入 1123 预付账款"
            summary = "；".join(([memo] if memo else []) + [f"{what} {fmt_money(amount or 0)}（冲销前不影响本余额）"])
        elif typ == side.invoice_type:
            inc, dec = gross.get(doc_id, 0), 0
            summary = memo or TYPE_TITLES[typ]
        elif typ == red_type:
            inc, dec = 0, gross.get(doc_id, 0)
            blues = sorted(set(DocumentLine.objects.filter(document_id=doc_id).values_list("ref_document__ref", flat=True)))
            summary = "；".join(([memo] if memo else []) + [f"红冲 {'、'.join(blues)}"])
        else:
            inc, dec = 0, amount or 0
            parts = [f"核销 {r} {fmt_money(a)}" for r, a in allocs.get(doc_id, [])]
            rest = dec - sum(a for _, a in allocs.get(doc_id, []))
            if rest:
                parts.append(f"未指定发票 {fmt_money(rest)}")
            if typ == "advance_application":
                parts.insert(0, "预收冲应收" if side is AR else "预付冲应付")
            summary = "；".join(([memo] if memo else []) + parts) or TYPE_TITLES[typ]
        bal += inc - dec
        sum_inc += inc
        sum_dec += dec
        line = {"date": d.isoformat(), "type": typ, "ref": ref, inc_key: fmt_money(inc), dec_key: fmt_money(dec),
                "balance": fmt_money(bal), "summary": summary}
        lines.append({k: line[k] for k in ("date", "type", "ref", "debit", "credit", "balance", "summary")})
        rows.append({**line, "type_name": TYPE_TITLES[typ], "doc_id": doc_id})
    closing = bal

    aging_items = open_items(side, end, [party.pk]).get(party.pk)
    buckets = aging_items.buckets(end) if aging_items else dict.fromkeys(BUCKETS, 0)
    aging = {"as_of": end.isoformat(), "total": fmt_money(sum(buckets.values())), **{k: fmt_money(v) for k, v in buckets.items()}}
    data = {"report": "statement", "party_type": side.party, "party": party.code, "name": party.name,
            "from": start.isoformat(), "to": end.isoformat(), "opening": fmt_money(opening), "rows": lines,
            "debit": fmt_money(sum_inc if side is AR else sum_dec), "credit": fmt_money(sum_dec if side is AR else sum_inc),
            "closing": fmt_money(closing), "aging": aging}
    pre_open = prepaid(side, start - timedelta(days=1), [party.pk]).get(party.pk, 0)
    pre_close = prepaid(side, end, [party.pk]).get(party.pk, 0)
    if pre_open or pre_close:
        data["prepayment"] = {"opening": fmt_money(pre_open), "closing": fmt_money(pre_close)}

    inc_title, dec_title = ("应收增加", "本期收款") if side is AR else ("本期付款", "应付增加")
    cols = [Column("date", "日期"), Column("type_name", "单据类型"), Column("ref", "单据号"), Column("summary", "摘要"),
            Column("debit", f"借方（{inc_title}）", "money"), Column("credit", f"贷方（{dec_title}）", "money"),
            Column("balance", "余额", "money")]
    table = [{"date": start.isoformat(), "summary": "期初余额", "balance": fmt_money(opening), "kind": "opening"}] + rows
    table.append({"summary": "本期合计", "debit": data["debit"], "credit": data["credit"], "kind": "month"})
    table.append({"date": end.isoformat(), "summary": "期末余额", "balance": fmt_money(closing), "kind": "total"})
    for k in ("total", *BUCKETS):
        label = "账龄合计" if k == "total" else f"账龄 {BUCKET_TITLES[k]}"
        table.append({"summary": f"{label}（截至 {end.isoformat()}）", "balance": aging[k], "kind": "aging"})
    what = "客户对账单" if side is AR else "供应商对账单"
    direction = "余额为正：客户欠我方" if side is AR else "余额为正：我方欠供应商"
    return Report("statement", what, data, cols, table,
                  subtitle=f"{side.party_title} {party.code} {party.name}  {start.isoformat()} 至 {end.isoformat()}（{direction}）")
