"""催款 (dunning): customers with invoices past their payment terms as of a date, and a reminder through
stockbook.notify (docs/ar-ap.md).

An invoice is overdue when its age (as of D, in days) exceeds the customer's ``payment_terms`` (账期), or
30 days when the customer has none. Open amounts are the aging's (allocations, oldest-first settlement of
unallocated receipts), so a customer whose receipts cover everything is never dunned.
"""
from datetime import date

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money

from .aging import AR, open_items, party_filter
from .base import Column, Report

DEFAULT_TERMS = 30
EVENT = "arap.dunning"


def overdue_rows(as_of: date, p: dict | None = None) -> list[dict]:
    p = p or {}
    parties = open_items(AR, as_of, party_filter(AR, p))
    info = {pk: (code, name, terms) for pk, code, name, terms in
            AR.model.objects.filter(pk__in=list(parties)).values_list("pk", "code", "name", "payment_terms")}
    rows = []
    for pid, pa in parties.items():
        code, name, terms = info[pid]
        terms = DEFAULT_TERMS if terms is None else terms
        late = [it for it in pa.items if not it.credit and (as_of - it.date).days > terms]
        if not late:
            continue
        rows.append({"customer": code, "name": name, "terms": terms, "invoices": len(late),
                     "overdue": sum(it.open for it in late), "oldest_days": max((as_of - it.date).days for it in late),
                     "refs": [it.ref for it in sorted(late, key=lambda i: (i.date, i.ref))]})
    rows.sort(key=lambda r: r["customer"])
    return rows


def dunning(as_of: date, p: dict | None = None) -> Report:
    if as_of is None:
        raise DocError("invalid_value", "dunning 需要 --as-of 日期", field="as_of")
    rows = overdue_rows(as_of, p)
    data_rows = [{"customer": r["customer"], "name": r["name"], "terms": r["terms"], "invoices": r["invoices"],
                  "oldest_days": r["oldest_days"], "overdue": fmt_money(r["overdue"])} for r in rows]
    data = {"report": "dunning", "as_of": as_of.isoformat(), "rows": data_rows}
    cols = [Column("customer", "客户编码"), Column("name", "客户名称"), Column("terms", "账期(天)"),
            Column("invoices", "逾期发票数"), Column("oldest_days", "最长逾期(天)"), Column("overdue", "逾期金额", "money")]
    totals = {"customer": "合计", "overdue": fmt_money(sum(r["overdue"] for r in rows))} if rows else None
    return Report("dunning", "催款清单", data, cols, [dict(r) for r in data_rows],
                  subtitle=f"截至 {as_of.isoformat()}，超过账期（未设置按 {DEFAULT_TERMS} 天）的未收发票", totals=totals)


def reminder_recipients():
    """Active users who may record receipts (doc_cash) or sales documents (doc_sales)."""
    from django.contrib.auth.models import User
    from django.db.models import Q

    caps = ["doc_cash", "doc_sales"]
    q = (Q(groups__permissions__codename__in=caps, groups__permissions__content_type__app_label="access")
         | Q(user_permissions__codename__in=caps, user_permissions__content_type__app_label="access") | Q(is_superuser=True))
    return list(User.objects.filter(q, is_active=True).distinct().order_by("pk"))


def remind(as_of: date, p: dict | None = None, recipients=None) -> int:
    """One notification per overdue customer to the recipients (default: reminder_recipients()); returns
    the number of customers reminded about."""
    from django.urls import reverse
    from django.utils.http import urlencode

    from stockbook.notify import notify

    rows = overdue_rows(as_of, p)
    people = reminder_recipients() if recipients is None else list(recipients)
    if not people:
        return 0
    for r in rows:
        link = reverse("web:arap_items", args=["ar"]) + "?" + urlencode({"as_of": as_of.isoformat(), "party": r["customer"]})
        notify(EVENT, recipients=people, link=link,
               title=f"催款提醒：{r['customer']} {r['name']} 逾期 {fmt_money(r['overdue'])} 元",
               body=f"截至 {as_of.isoformat()}，{r['invoices']} 张发票超过 {r['terms']} 天账期，最长逾期 {r['oldest_days']} 天："
                    + "、".join(r["refs"][:20]) + ("…" if len(r["refs"]) > 20 else ""),
               payload={"customer": r["customer"], "as_of": as_of.isoformat(), "overdue": fmt_money(r["overdue"])})
    return len(rows)
