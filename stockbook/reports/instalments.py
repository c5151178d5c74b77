"""收付款计划 (payment plans): the instalments of open invoices as of a date — due, overdue, upcoming — and the
aging by due date (docs/contract-extensions.md §3).

An invoice's instalments are its ``payment_plan`` (PaymentPlanLine rows), or one instalment of its gross due
``payment_terms`` days (30 when not set) after the invoice date. What has been settled of the invoice as of
D (allocations, red invoices, oldest-first credits: ``aging.open_items``) settles its instalments in due
order; an instalment with something left is open: ``overdue`` when its due date is before D, ``due`` on D,
``upcoming`` after.
"""
from collections import defaultdict
from datetime import date, timedelta

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money

from .aging import BUCKET_TITLES, BUCKETS, SIDES, Side, bucket_of, open_items, party_filter
from .base import Column, Report

DEFAULT_TERMS = 30
STATUS_ZH = {"overdue": "逾期", "due": "今日到期", "upcoming": "未到期"}


def open_instalments(side: Side, as_of: date, party_ids=None) -> dict[int, list[dict]]:
    """{party id: [{invoice, doc_id, invoice_date, seq, due_date, amount, open}]} of the open instalments, by
    due date; and the party's leftover credits as {"credit": True, ...} rows (amount < 0, no due date)."""
    from stockbook.posting.models import PaymentPlanLine

    parties = open_items(side, as_of, party_ids)
    inv_ids = [it.doc_id for pa in parties.values() for it in pa.items if not it.credit]
    plans: dict[int, list[tuple]] = defaultdict(list)
    for doc_id, seq, due, amount in PaymentPlanLine.objects.filter(document_id__in=inv_ids).order_by(
            "document_id", "seq").values_list("document_id", "seq", "due_date", "amount"):
        plans[doc_id].append((seq, due, amount))
    terms = dict(side.model.objects.filter(pk__in=list(parties)).values_list("pk", "payment_terms"))
    out: dict[int, list[dict]] = {}
    for pid, pa in parties.items():
        rows = []
        for it in pa.items:
            if it.credit:
                rows.append({"credit": True, "invoice": it.ref, "doc_id": it.doc_id, "invoice_date": it.date, "open": it.open})
                continue
            sched = plans.get(it.doc_id) or [(1, it.date + timedelta(days=terms.get(pid) or DEFAULT_TERMS), it.gross)]
            settled = it.gross - it.open
            for seq, due, amount in sorted(sched, key=lambda s: (s[1], s[0])):
                take = min(settled, amount)
                settled -= take
                if amount - take > 0:
                    rows.append({"invoice": it.ref, "doc_id": it.doc_id, "invoice_date": it.date, "seq": seq, "due_date": due,
                                 "amount": amount, "open": amount - take})
        if rows:
            out[pid] = sorted(rows, key=lambda r: (r.get("due_date") or r["invoice_date"], r["invoice"], r.get("seq", 0)))
    return out


def _status(due: date, as_of: date) -> str:
    return "overdue" if due < as_of else ("due" if due == as_of else "upcoming")


def instalments(side: Side, as_of: date, p: dict | None = None) -> Report:
    if as_of is None:
        raise DocError("invalid_value", f"{side.kind}-instalments 需要 --as-of 日期", field="as_of")
    p = p or {}
    parties = open_instalments(side, as_of, party_filter(side, p))
    info = {pk: (code, name) for pk, code, name in side.model.objects.filter(pk__in=list(parties)).values_list("pk", "code", "name")}
    data_rows, rows = [], []
    for pid in sorted(parties, key=lambda k: info[k][0]):
        code, name = info[pid]
        for r in parties[pid]:
            if r.get("credit"):
                continue
            st = _status(r["due_date"], as_of)
            if p.get("status") and st != p["status"]:
                continue
            row = {side.party: code, "invoice": r["invoice"], "invoice_date": r["invoice_date"].isoformat(), "seq": r["seq"],
                   "due_date": r["due_date"].isoformat(), "amount": fmt_money(r["amount"]), "open": fmt_money(r["open"]),
                   "days_overdue": max(0, (as_of - r["due_date"]).days), "status": st}
            data_rows.append(row)
            rows.append({**row, "name": name, "status_name": STATUS_ZH[st]})
    name = f"{side.kind}-instalments"
    data = {"report": name, "as_of": as_of.isoformat(), "rows": data_rows}
    cols = [Column(side.party, f"{side.party_title}编码"), Column("name", f"{side.party_title}名称"), Column("invoice", "发票"),
            Column("invoice_date", "开票日期"), Column("seq", "期次"), Column("due_date", "到期日"), Column("amount", "计划金额", "money"),
            Column("open", "未结金额", "money"), Column("days_overdue", "逾期天数"), Column("status_name", "状态")]
    title = "应收款计划（到期与逾期）" if side.kind == "ar" else "应付款计划（到期与逾期）"
    return Report(name, title, data, cols, rows, subtitle=f"截至 {as_of.isoformat()}")


def aging_by_due(side: Side, as_of: date, p: dict) -> Report:
    """The aging by due date: open instalments not yet due in ``not_due``, the others by days past due in the
    usual buckets (1–30 days overdue in ``0-30``); leftover credits by their age, as in the aging."""
    parties = open_instalments(side, as_of, party_filter(side, p))
    info = {pk: (code, name) for pk, code, name in side.model.objects.filter(pk__in=list(parties)).values_list("pk", "code", "name")}
    keys = ("not_due", *BUCKETS)
    data_rows, rows = [], []
    sums = dict.fromkeys(keys, 0)
    for pid in sorted(parties, key=lambda k: info[k][0]):
        b = dict.fromkeys(keys, 0)
        for r in parties[pid]:
            if r.get("credit"):
                b[bucket_of((as_of - r["invoice_date"]).days)] += r["open"]
            elif r["due_date"] >= as_of:
                b["not_due"] += r["open"]
            else:
                b[bucket_of((as_of - r["due_date"]).days)] += r["open"]
        code, name = info[pid]
        row = {side.party: code, "total": fmt_money(sum(b.values())), **{k: fmt_money(v) for k, v in b.items()}}
        data_rows.append(row)
        rows.append({**row, "name": name})
        for k in keys:
            sums[k] += b[k]
    data = {"report": side.report, "as_of": as_of.isoformat(), "by": "due", "rows": data_rows}
    cols = [Column(side.party, f"{side.party_title}编码"), Column("name", f"{side.party_title}名称"), Column("total", "合计", "money"),
            Column("not_due", "未到期", "money")] + [Column(k, "逾期" + BUCKET_TITLES[k], "money") for k in BUCKETS]
    totals = {side.party: "合计", "total": fmt_money(sum(sums.values())), **{k: fmt_money(v) for k, v in sums.items()}}
    title = "应收账款账龄分析表（按到期日）" if side.kind == "ar" else "应付账款账龄分析表（按到期日）"
    return Report(side.report, title, data, cols, rows, subtitle=f"截至 {as_of.isoformat()}，按到期日计逾期天数",
                  totals=totals if rows else None)


INSTALMENT_SIDES = {"ar-instalments": SIDES["ar"], "ap-instalments": SIDES["ap"]}
