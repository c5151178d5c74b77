"""应收/应付账龄 (ar-aging, ap-aging): open invoices of each customer (supplier) as of a date, bucketed by
invoice date (docs/ar-ap.md).

An invoice's open amount as of D = gross (net + tax of its lines) − the allocations made to it by receipts
(payments) dated ≤ D. The unallocated remainder of each receipt (payment) dated ≤ D is a credit of the party
that settles its oldest open invoices first (invoice date, then ref; credits used oldest receipt first). A
credit left over when every invoice is settled is 预收 (预付): it stays in the row as a negative amount,
bucketed by the age of the receipt (payment) it is left from.

Reading is three grouped queries (invoice gross per invoice, allocations per receipt line, receipts); the
settlement runs in Python over those rows, so the cost does not depend on how many allocations there are
per invoice.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money

from .base import Column, Report

BUCKETS = ("0-30", "31-60", "61-90", "91-180", "181+")
BUCKET_TITLES = {"0-30": "0-30天", "31-60": "31-60天", "61-90": "61-90天", "91-180": "91-180天", "181+": "181天以上"}


@dataclass(frozen=True)
class Side:
    """One side of the books: receivables (ar) or payables (ap)."""
    kind: str  # ar | ap
    party: str  # customer | supplier
    invoice_type: str
    money_type: str  # customer_receipt | supplier_payment
    party_title: str
    report: str

    @property
    def model(self):
        from stockbook.masterdata.models import Customer, Supplier

        return Customer if self.party == "customer" else Supplier


AR = Side("ar", "customer", "sales_invoice", "customer_receipt", "客户", "ar-aging")
AP = Side("ap", "supplier", "purchase_invoice", "supplier_payment", "供应商", "ap-aging")
RED_TYPE = {"sales_invoice": "sales_red_invoice", "purchase_invoice": "purchase_red_invoice"}
SIDES = {"ar": AR, "ap": AP, "customer": AR, "supplier": AP, "ar-aging": AR, "ap-aging": AP}


def bucket_of(age_days: int) -> str:
    if age_days <= 30:
        return "0-30"
    if age_days <= 60:
        return "31-60"
    if age_days <= 90:
        return "61-90"
    if age_days <= 180:
        return "91-180"
    return "181+"


@dataclass
class OpenItem:
    doc_id: int
    date: date
    ref: str
    gross: int  # 分
    open: int  # 分, after allocations and oldest-first settlement; negative for a credit (预收/预付)
    credit: bool = False  # a receipt's (payment's) unsettled remainder


def _cutoffs(as_of: date) -> tuple[str, str, str, str]:
    """ISO days of the bucket edges: a day ≥ the first is 0–30 days old, ≥ the second 31–60, …"""
    return tuple((as_of - timedelta(days=n)).isoformat() for n in (30, 60, 90, 180))


def _bucket_of_day(day: str, cut) -> str:
    if day >= cut[0]:
        return "0-30"
    if day >= cut[1]:
        return "31-60"
    if day >= cut[2]:
        return "61-90"
    if day >= cut[3]:
        return "91-180"
    return "181+"


class PartyAging:
    """One party's open invoices and unused credits, as rows [ISO day, ref, doc id, gross, open] (open < 0
    for a credit) — plain lists, so that 100,000 invoices cost little to read, settle and bucket."""

    def __init__(self, party_id: int, invoices: list, credits: list):
        self.party_id, self.invoices, self.credits = party_id, invoices, credits

    def buckets(self, as_of: date) -> dict[str, int]:
        cut = _cutoffs(as_of)
        out = dict.fromkeys(BUCKETS, 0)
        for row in self.invoices:
            out[_bucket_of_day(row[0], cut)] += row[4]
        for row in self.credits:
            out[_bucket_of_day(row[0], cut)] += row[4]
        return out

    @property
    def items(self) -> list[OpenItem]:
        return [OpenItem(r[2], date.fromisoformat(r[0]), r[1], r[3], r[4], credit=r[4] < 0)
                for r in self.invoices + self.credits]


_INVOICE_LINES = """
SELECT d.id, d.{party}_id, CAST(d.date AS TEXT), d.ref, l.amount, l.tax
  FROM posting_document d JOIN posting_documentline l ON l.document_id = d.id
 WHERE d.type = %s AND d.status = %s AND d.date <= %s{where}"""
_ALLOCATIONS = """
SELECT a.document_id, a.ref_document_id, SUM(a.amount)
  FROM posting_document d JOIN posting_documentline a ON a.document_id = d.id
 WHERE d.type IN (%s, 'advance_application') AND d.{party}_id IS NOT NULL AND d.status = %s AND d.date <= %s
   AND a.ref_document_id IS NOT NULL{where}
 GROUP BY a.document_id, a.ref_document_id"""
_MONEY = """
SELECT d.id, d.{party}_id, CAST(d.date AS TEXT), d.ref, d.amount
  FROM posting_document d
 WHERE d.type IN (%s, 'advance_application') AND d.{party}_id IS NOT NULL AND d.prepayment = FALSE
   AND d.status = %s AND d.date <= %s{where}"""


_REDS = """
SELECT r.ref_document_id, d.id, CAST(d.date AS TEXT), d.ref, SUM(COALESCE(r.amount, 0) + COALESCE(r.tax, 0))
  FROM posting_document d JOIN posting_documentline r ON r.document_id = d.id
 WHERE d.type = %s AND d.status = %s AND d.date <= %s{where}
 GROUP BY r.ref_document_id, d.id, d.date, d.ref"""


def _reds(side: Side, day: str, where: str, extra: list) -> dict[int, list]:
    """Red invoices dated ≤ day (docs/contract-extensions.md) per blue invoice: {blue id: [Σ gross, day, ref, id]
    of the latest red}. A red invoice reduces its blue invoice's open amount; what exceeds it (the blue was
    already paid) is a credit of the party dated like the red invoice."""
    from django.db import connection

    from stockbook.posting.models import Document

    out: dict[int, list] = {}
    with connection.cursor() as cur:
        cur.execute(_REDS.format(where=where), [RED_TYPE[side.invoice_type], Document.POSTED, day, *extra])
        for blue, rid, d, ref, gross in sorted(cur.fetchall(), key=lambda r: (r[2], r[1])):
            row = out.setdefault(blue, [0, None, None, None])
            row[0] += int(gross or 0)
            row[1:] = [d[:10], ref, rid]
    return out


def open_items(side: Side, as_of: date, party_ids=None) -> dict[int, PartyAging]:
    """{party id: its open invoices (and leftover credits) as of ``as_of``}; ``party_ids`` narrows the parties
    (None = all). Parties with nothing open are left out.

    Three queries: the allocation lines of receipts (payments) dated ≤ as_of summed per (receipt, invoice),
    the invoices' lines (summed per invoice here), the receipts; dates come back as ISO text (no per-row
    conversion) and are compared as text. No query per invoice."""
    from django.db import connection

    from stockbook.posting.models import Document

    limit = _party_filter(side, party_ids)
    if limit is None:  # an empty list of parties
        return {}
    where, extra = limit
    day = as_of.isoformat()
    per_party: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    with connection.cursor() as cur:
        cur.execute(_ALLOCATIONS.format(party=side.party, where=where), [side.money_type, Document.POSTED, day, *extra])
        allocated_to: dict[int, int] = defaultdict(int)  # invoice id → Σ allocations to it
        allocated_by: dict[int, int] = defaultdict(int)  # receipt id → Σ its allocations
        for rid, iid, amt in cur.fetchall():  # PostgreSQL sums bigint as numeric: back to int 分
            allocated_to[iid] += int(amt or 0)
            allocated_by[rid] += int(amt or 0)
        cur.execute(_INVOICE_LINES.format(party=side.party, where=where), [side.invoice_type, Document.POSTED, day, *extra])
        invoices: dict[int, list] = {}
        for doc_id, pid, d, ref, amount, tax in cur.fetchall():
            row = invoices.get(doc_id)
            if row is None:
                invoices[doc_id] = [d[:10], ref, doc_id, (amount or 0) + (tax or 0), pid]
            else:
                row[3] += (amount or 0) + (tax or 0)
        cur.execute(_MONEY.format(party=side.party, where=where), [side.money_type, Document.POSTED, day, *extra])
        money = cur.fetchall()
    reds = _reds(side, day, where, extra)
    for row in invoices.values():
        left = row[3] - allocated_to.get(row[2], 0)
        red = reds.get(row[2])
        if red is not None:
            left -= red[0]
            if left < 0:  # the red invoice exceeds what was still open: a credit of its date
                per_party[row[4]][1].append([red[1], red[2], red[3], red[0], left])
        if left > 0:
            pid = row[4]
            row[4] = left
            per_party[pid][0].append(row)
    for doc_id, pid, d, ref, amount in money:
        left = (amount or 0) - allocated_by.get(doc_id, 0)
        if left > 0:
            per_party[pid][1].append([d[:10], ref, doc_id, amount or 0, -left])

    out: dict[int, PartyAging] = {}
    for pid, (invs, credits) in per_party.items():
        if credits:
            invs, credits = _settle(invs, credits)
        if invs or credits:
            out[pid] = PartyAging(pid, invs, credits)
    return out


def _settle(invoices: list, credits: list) -> tuple[list, list]:
    """Unallocated credits (oldest first) settle the oldest open invoices (day, then ref); what is left:
    invoices still open, and credits not used up (negative)."""
    invoices.sort()  # [day, ref, doc id, …]: the doc id is unique, so the rest is never compared
    credits.sort()
    ci, n = 0, len(credits)
    for inv in invoices:
        if ci == n:
            break
        while inv[4] > 0 and ci < n:
            c = credits[ci]
            take = min(inv[4], -c[4])
            inv[4] -= take
            c[4] += take
            if c[4] == 0:
                ci += 1
    return [i for i in invoices if i[4] > 0], [c for c in credits[ci:] if c[4] < 0]


def resolve_party(side: Side, code: str | None):
    if not code:
        return None
    p = side.model.objects.filter(code=code).first()
    if p is None:
        raise DocError("unknown_party", f"{side.party_title} {code} 不存在", field=side.party)
    return p


def resolve_region(code: str | None):
    if not code:
        return None
    from stockbook.masterdata.models import Region

    r = Region.objects.filter(code=code).first()
    if r is None:
        raise DocError("invalid_value", f"区域 {code} 不存在", field="region")
    return r


def party_filter(side: Side, p: dict) -> list[int] | None:
    """The party ids the report covers: the user's scope (``party_ids`` set by access rules), narrowed to
    one party (``customer``/``supplier``) and/or a region; None = every party."""
    other = "supplier" if side.party == "customer" else "customer"
    if p.get(other):
        raise DocError("invalid_value", f"{side.report} 按{side.party_title}筛选，不能指定 --{other}", field=other)
    scope = p.get("scope_regions")
    ids = None if scope is None else set(side.model.objects.filter(region_id__in=scope).values_list("pk", flat=True))
    party = resolve_party(side, p.get(side.party))
    if party is not None:
        if ids is not None and party.pk not in ids:
            raise DocError("not_allowed", f"{side.party_title} {party.code} 不在您的数据范围内", field=side.party)
        ids = {party.pk}
    region = resolve_region(p.get("region"))
    if region is not None:
        in_region = set(side.model.objects.filter(region=region).values_list("pk", flat=True))
        ids = in_region if ids is None else ids & in_region
    return None if ids is None else sorted(ids)


def scope_regions(user) -> set[int] | None:
    """The regions whose parties a user may see: None = all. A user with a data scope (access.Scope) sees
    the customers and suppliers of her scope's regions and of the regions of her scope's warehouses;
    parties without a region are outside every scope."""
    from stockbook.access.policy import warehouse_ids

    if warehouse_ids(user) is None:
        return None
    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Warehouse

    scope = Scope.objects.filter(user_id=user.pk).first()
    regions = set(scope.regions.values_list("pk", flat=True))
    whs = set(scope.warehouses.values_list("pk", flat=True))
    regions |= set(Warehouse.objects.filter(pk__in=whs, region__isnull=False).values_list("region_id", flat=True))
    return regions


def scope_params(user, name: str, params: dict) -> dict:
    """Access rules' hook (stockbook/access/reports.py): the user's party scope added to the params."""
    return {**params, "scope_regions": scope_regions(user)}


_BUCKET_CASE = ("CASE WHEN {col} >= %s THEN 0 WHEN {col} >= %s THEN 1 WHEN {col} >= %s THEN 2 "
                "WHEN {col} >= %s THEN 3 ELSE 4 END")
_B_INVOICES = """
SELECT d.{party}_id, {case}, SUM(COALESCE(l.amount, 0) + COALESCE(l.tax, 0))
  FROM posting_document d JOIN posting_documentline l ON l.document_id = d.id
 WHERE d.type = %s AND d.status = %s AND d.date <= %s{where}
 GROUP BY 1, 2"""
_B_ALLOCATED = """
SELECT i.{party}_id, {case}, SUM(a.amount)
  FROM posting_document d JOIN posting_documentline a ON a.document_id = d.id
  JOIN posting_document i ON i.id = a.ref_document_id
 WHERE d.type IN (%s, 'advance_application') AND d.status = %s AND d.date <= %s AND i.type = %s AND i.status = %s{where}
 GROUP BY 1, 2"""
_B_CREDITS = """
SELECT d.{party}_id, {case},
       SUM(COALESCE(d.amount, 0) - COALESCE((SELECT SUM(a.amount) FROM posting_documentline a
                                              WHERE a.document_id = d.id AND a.ref_document_id IS NOT NULL), 0))
  FROM posting_document d
 WHERE d.type IN (%s, 'advance_application') AND d.{party}_id IS NOT NULL AND d.prepayment = FALSE
   AND d.status = %s AND d.date <= %s{where}
 GROUP BY 1, 2"""
_PREPAID = """
SELECT d.{party}_id, SUM(CASE WHEN d.type = %s THEN d.amount ELSE -d.amount END)
  FROM posting_document d
 WHERE (d.type = %s AND d.prepayment = TRUE OR d.type = 'advance_application' AND d.{party}_id IS NOT NULL)
   AND d.status = %s AND d.date <= %s{where}
 GROUP BY 1"""


def _party_filter(side: Side, party_ids, alias="d") -> tuple[str, list] | None:
    """The SQL condition (and its parameters) limiting a query to some parties: none when ``party_ids`` is None,
    None when it is empty (nothing to report)."""
    if party_ids is None:
        return "", []
    ids = [int(x) for x in party_ids]
    if not ids:
        return None
    return f" AND {alias}.{side.party}_id IN ({', '.join(['%s'] * len(ids))})", ids


def prepaid(side: Side, as_of: date, party_ids=None) -> dict[int, int]:
    """{party id: open prepayment (预收 2203 / 预付 1123) in 分} as of a date: prepayments − advance applications
    (docs/contract-extensions.md). Kept apart from the invoices' aging: it settles invoices only when applied."""
    from django.db import connection

    from stockbook.posting.models import Document

    limit = _party_filter(side, party_ids)
    if limit is None:  # an empty list of parties
        return {}
    where, extra = limit
    with connection.cursor() as cur:
        cur.execute(_PREPAID.format(party=side.party, where=where),
                    [side.money_type, side.money_type, Document.POSTED, as_of.isoformat(), *extra])
        return {pid: int(v) for pid, v in cur.fetchall() if v}


def bucket_sums(side: Side, as_of: date, party_ids=None) -> dict[int, list[int]]:
    """{party id: [5 bucket amounts in 分]} — the aging report's figures, summed by the database per
    (party, bucket) and settled here per bucket.

    The same result as ``open_items`` (a test compares them): every invoice of one bucket ages alike, so
    settling oldest-first bucket by bucket (oldest bucket first, credits used oldest bucket first) gives
    the per-invoice result's bucket sums, and the credit left is the newest buckets' as it is the newest
    receipts'."""
    from django.db import connection

    from stockbook.posting.models import Document

    limit = _party_filter(side, party_ids, alias="{alias}")
    if limit is None:  # an empty list of parties
        return {}
    where, extra = limit
    day, cut = as_of.isoformat(), list(_cutoffs(as_of))
    inv: dict[int, list[int]] = defaultdict(lambda: [0] * 5)
    cred: dict[int, list[int]] = defaultdict(lambda: [0] * 5)
    with connection.cursor() as cur:
        cur.execute(_B_INVOICES.format(party=side.party, case=_BUCKET_CASE.format(col="d.date"), where=where.format(alias="d")),
                    [*cut, side.invoice_type, Document.POSTED, day, *extra])
        for pid, b, amt in cur.fetchall():  # PostgreSQL sums bigint as numeric: back to int 分
            inv[pid][b] += int(amt or 0)
        cur.execute(_B_ALLOCATED.format(party=side.party, case=_BUCKET_CASE.format(col="i.date"), where=where.format(alias="i")),
                    [*cut, side.money_type, Document.POSTED, day, side.invoice_type, Document.POSTED, *extra])
        for pid, b, amt in cur.fetchall():
            inv[pid][b] -= int(amt or 0)
        cur.execute(_B_CREDITS.format(party=side.party, case=_BUCKET_CASE.format(col="d.date"), where=where.format(alias="d")),
                    [*cut, side.money_type, Document.POSTED, day, *extra])
        for pid, b, amt in cur.fetchall():
            cred[pid][b] += int(amt or 0)
    reds = _reds(side, day, where.format(alias="d"), extra)
    if reds:  # rare: settle each blue invoice with red invoices on its own
        ids = sorted(reds)
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cur:
            cur.execute(f"SELECT d.id, d.{side.party}_id, CAST(d.date AS TEXT), SUM(COALESCE(l.amount, 0) + COALESCE(l.tax, 0)) "
                        f"FROM posting_document d JOIN posting_documentline l ON l.document_id = d.id WHERE d.id IN ({marks}) "
                        f"GROUP BY d.id, d.{side.party}_id, d.date", ids)
            blues = cur.fetchall()
            cur.execute(f"SELECT a.ref_document_id, SUM(a.amount) FROM posting_document d JOIN posting_documentline a "
                        f"ON a.document_id = d.id WHERE d.type = %s AND d.status = %s AND d.date <= %s "
                        f"AND a.ref_document_id IN ({marks}) GROUP BY a.ref_document_id", [side.money_type, Document.POSTED, day, *ids])
            alloc = {i: int(a or 0) for i, a in cur.fetchall()}
        for bid, pid, bday, gross in blues:
            red = reds[bid]
            open_ = int(gross or 0) - alloc.get(bid, 0)
            cut_back = min(max(open_, 0), red[0])
            inv[pid][BUCKETS.index(_bucket_of_day(bday[:10], cut))] -= cut_back
            cred[pid][BUCKETS.index(_bucket_of_day(red[1], cut))] += red[0] - cut_back
    out = {}
    for pid in set(inv) | set(cred):
        o, c = inv.get(pid, [0] * 5), cred.get(pid, [0] * 5)
        ci = 4
        for b in range(4, -1, -1):  # oldest bucket first
            while o[b] > 0 and ci >= 0:
                take = min(o[b], c[ci])
                o[b] -= take
                c[ci] -= take
                if c[ci] == 0:
                    ci -= 1
        res = [o[b] - c[b] for b in range(5)]
        if any(res):
            out[pid] = res
    return out


def aging(side: Side, as_of: date, p: dict | None = None) -> Report:
    if as_of is None:
        raise DocError("invalid_value", f"{side.report} 需要 --as-of 日期", field="as_of")
    p = p or {}
    if p.get("by") == "due":  # by due date (payment plans, docs/contract-extensions.md §3)
        from .instalments import aging_by_due

        return aging_by_due(side, as_of, p)
    if p.get("by") not in (None, "", "invoice"):
        raise DocError("invalid_value", "--by 只能是 invoice（按发票日期）或 due（按到期日）", field="by")
    ids = party_filter(side, p)
    parties = bucket_sums(side, as_of, ids)
    pre = prepaid(side, as_of, ids)
    for pid in pre:
        parties.setdefault(pid, [0] * 5)
    info = {pk: (code, name) for pk, code, name in side.model.objects.filter(pk__in=list(parties)).values_list("pk", "code", "name")}
    rows, data_rows = [], []
    sums = dict.fromkeys(BUCKETS, 0)
    for pid in sorted(parties, key=lambda k: info[k][0]):
        b = dict(zip(BUCKETS, parties[pid]))
        total = sum(b.values())
        code, name = info[pid]
        extra = {"prepayment": fmt_money(-pre[pid])} if pre.get(pid) else {}  # 预收/预付, a credit
        data_rows.append({side.party: code, "total": fmt_money(total), **{k: fmt_money(v) for k, v in b.items()}, **extra})
        rows.append({side.party: code, "name": name, "total": fmt_money(total), **{k: fmt_money(v) for k, v in b.items()}, **extra})
        for k, v in b.items():
            sums[k] += v
    data = {"report": side.report, "as_of": as_of.isoformat(), "rows": data_rows}
    cols = [Column(side.party, f"{side.party_title}编码"), Column("name", f"{side.party_title}名称"),
            Column("total", "合计", "money")] + [Column(k, BUCKET_TITLES[k], "money") for k in BUCKETS]
    if pre:
        cols.append(Column("prepayment", "预收款余额" if side.kind == "ar" else "预付款余额", "money"))
        for r in rows:
            r.setdefault("prepayment", "0.00")
    totals = {side.party: "合计", "total": fmt_money(sum(sums.values())), **{k: fmt_money(v) for k, v in sums.items()}}
    if pre:
        totals["prepayment"] = fmt_money(-sum(pre.values()))
    title = "应收账款账龄分析表" if side.kind == "ar" else "应付账款账龄分析表"
    return Report(side.report, title, data, cols, rows, subtitle=f"截至 {as_of.isoformat()}，按发票日期计龄",
                  totals=totals if rows else None)


def bucket_items(side: Side, as_of: date, party_id: int, bucket: str | None) -> list[OpenItem]:
    """The open items of one party (drill-down of a cell), oldest first; ``bucket`` None = all."""
    pa = open_items(side, as_of, [party_id]).get(party_id)
    if pa is None:
        return []
    return [it for it in sorted(pa.items, key=lambda i: (i.date, i.ref))
            if bucket is None or bucket_of((as_of - it.date).days) == bucket]
