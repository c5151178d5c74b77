"""What the rest of Stockbook calls: maintained reconciliation results, breakdowns by dimension, the
knowledge-base seeding and the materiality thresholds.

Results are maintained, not recomputed from scratch on every request: each is stored (``Snapshot``) with
the books version it was computed at, and is recomputed only when a document or voucher newer than that
version is dated on or before its as-of date — so a posting shows on the next request (well within
5 s) and an unchanged month end is read, not recomputed. The computation itself reads the maintained
period balances (see engine.py).
"""
import time
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum

from stockbook.core.money import fmt_money
from stockbook.ledger.models import Voucher, VoucherLine
from stockbook.posting.models import Document, DocumentLine

from . import causes as kb
from .engine import PairResult, _Books, _subtree, reconcile_external, reconcile_internal
from .models import Cause, Rule, Snapshot, Threshold
from .rules import BUILTIN_RULES


def ensure_kb():
    """Create the built-in causes and rules that are missing (texts edited by users are kept)."""
    for code, (name, en, expl, fix) in kb.BUILTIN.items():
        Cause.objects.get_or_create(code=code, defaults={"name": name, "name_en": en, "explanation": expl, "fix": fix, "builtin": True})
    for n, (code, name, cond, cause, action) in enumerate(BUILTIN_RULES):
        Rule.objects.get_or_create(code=code, defaults={"name": name, "order": (n + 1) * 10, "conditions": cond, "cause_id": cause,
                                                        "action": action, "builtin": True})


def ensure_kb_after_migrate(sender, **kwargs):
    ensure_kb()


def reset_rule(rule: Rule):
    for n, (code, name, cond, cause, action) in enumerate(BUILTIN_RULES):
        if code == rule.code:
            rule.name, rule.order, rule.conditions, rule.cause_id, rule.action, rule.active = name, (n + 1) * 10, cond, cause, action, True
            rule.save()
            invalidate()


# -- maintained results ------------------------------------------------------------------------------
def books_version() -> tuple[int, int]:
    return (Document.objects.aggregate(m=Max("id"))["m"] or 0, Voucher.objects.aggregate(m=Max("id"))["m"] or 0)


def version_fields() -> dict:
    """The books version to store with a result computed after this call (see ``is_stale``)."""
    from django.db import connection

    dv, vv = books_version()
    out = {"doc_version": dv, "voucher_version": vv, "doc_count": 0, "voucher_count": 0}
    if connection.vendor == "postgresql":  # SQLite has one writer at a time: ids commit in order
        out["doc_count"] = Document.objects.filter(id__lte=dv).count()
        out["voucher_count"] = Voucher.objects.filter(id__lte=vv).count()
    return out


def is_stale(snap: Snapshot) -> bool:
    """A newer document or voucher dated on or before the result's date — or, on PostgreSQL, one with a
    smaller id that committed after the version was read (the counts up to the version grew)."""
    from django.db import connection

    if (Document.objects.filter(id__gt=snap.doc_version, date__lte=snap.as_of).exists()
            or Voucher.objects.filter(id__gt=snap.voucher_version, date__lte=snap.as_of).exists()):
        return True
    if connection.vendor == "postgresql":
        return (Document.objects.filter(id__lte=snap.doc_version).count() != snap.doc_count
                or Voucher.objects.filter(id__lte=snap.voucher_version).count() != snap.voucher_count)
    return False


def invalidate():
    """Rules, causes or thresholds changed: every stored result is recomputed on its next read."""
    Snapshot.objects.all().delete()


def cached(key: str, as_of: date, compute) -> dict:
    """The stored result for (key, as_of) if still current, else ``compute()`` stored with the version read
    before computing. Returns {"data", "computed_at", "millis", "fresh"}."""
    snap = Snapshot.objects.filter(key=key, as_of=as_of).first()
    if snap is not None and not is_stale(snap):
        return {"data": snap.data, "computed_at": snap.computed_at, "millis": snap.millis, "fresh": False}
    version = version_fields()
    t0 = time.perf_counter()
    data = compute()
    ms = int((time.perf_counter() - t0) * 1000)
    try:
        with transaction.atomic():
            snap, _ = Snapshot.objects.update_or_create(key=key, as_of=as_of, defaults={**version, "data": data, "millis": ms})
    except IntegrityError:  # a concurrent request stored it first
        snap = Snapshot.objects.get(key=key, as_of=as_of)
    return {"data": data, "computed_at": snap.computed_at, "millis": ms, "fresh": True}


def _wh_key(warehouses) -> str:
    return "*" if warehouses is None else ",".join(map(str, sorted(warehouses)))


def reconcile(as_of: date, warehouses=None) -> list[PairResult]:
    """Every ledger pair of Stockbook's own books, freshly computed (see ``current`` for the maintained one)."""
    return reconcile_internal(as_of, warehouses)


def current(as_of: date, warehouses=None) -> dict:
    """The maintained reconciliation of the internal books: {"data": [pair json...], "computed_at", ...}."""
    return cached(f"reconcile|internal|{_wh_key(warehouses)}", as_of,
                  lambda: [p.to_json() for p in reconcile_internal(as_of, warehouses)])


def external(lines, date_from: date, as_of: date) -> list[PairResult]:
    return reconcile_external(lines, date_from, as_of)


# -- breakdowns ---------------------------------------------------------------------------------------
DIMENSIONS = {"warehouse": "仓库", "item": "存货", "category": "分类", "product_line": "产品线", "region": "区域",
              "supplier": "供应商", "customer": "客户"}


def _labels(dim: str, ids) -> dict:
    from stockbook.masterdata.models import Category, Customer, Item, Region, Supplier, Warehouse

    model = {"warehouse": Warehouse, "item": Item, "category": Category, "region": Region, "supplier": Supplier, "customer": Customer}.get(dim)
    if model is None:
        return {i: i for i in ids}
    return {o.pk: (o.code, o.name) for o in model.objects.filter(pk__in=[i for i in ids if i is not None])}


def _item_dims() -> dict:
    from stockbook.masterdata.models import Item

    return {i["id"]: i for i in Item.objects.values("id", "category_id", "category__product_line")}


def _wh_regions() -> dict:
    from stockbook.masterdata.models import Warehouse

    return dict(Warehouse.objects.values_list("id", "region_id"))


def _key_of(dim, item_id, warehouse_id, items, regions):
    if dim == "warehouse":
        return warehouse_id
    if dim == "item":
        return item_id
    if dim == "region":
        return regions.get(warehouse_id)
    it = items.get(item_id) or {}
    return it.get("category_id") if dim == "category" else (it.get("category__product_line") or None)


def journal_cells(account: str, as_of: date, warehouses=None) -> dict:
    """{(warehouse id, item id): debit − credit} of the journal lines on an inventory account (and below)
    dated ≤ as_of: where the journals' differences sit in a stock breakdown."""
    q = VoucherLine.objects.filter(_subtree(account), date__lte=as_of, voucher__document__type="journal")
    if warehouses is not None:
        q = q.filter(warehouse_id__in=warehouses)
    out: dict = {}
    for r in q.values("warehouse_id", "item_id").annotate(d=Sum("debit"), c=Sum("credit")):
        k = (r["warehouse_id"], r["item_id"])
        out[k] = out.get(k, 0) + (r["d"] or 0) - (r["c"] or 0)
    return out


def stock_breakdown(account: str, as_of: date, dims: list[str], warehouses=None) -> list[dict]:
    """Book value and stock value of one inventory account split by one or two of warehouse, item,
    category, product_line, region.

    The general ledger has no warehouse of its own: every document posts its moves and its voucher
    together, so per document the ledger equals the stock it moved (transfers move value between
    warehouses without a voucher). The book value of a cell is therefore its stock value plus the
    differences that sit there: journal lines by the item and warehouse they name, and the rest of the
    pair's difference (openings, pending costs, anything unexplained) in the 未分配 row (key None)."""
    from stockbook.reports.stock_balance import balances

    items, regions = _item_dims(), _wh_regions()
    acc: dict[tuple, list[int]] = {}
    sub_total = 0
    for r in balances(as_of, warehouse_ids=warehouses):
        if r["item"].account.code != account:
            continue
        k = tuple(_key_of(d, r["item"].pk, r["warehouse"].pk, items, regions) for d in dims)
        t = acc.setdefault(k, [0, 0])
        t[0] += r["value"]
        t[1] += r["value"]
        sub_total += r["value"]
    journals = 0
    for (wid, iid), amt in journal_cells(account, as_of, warehouses).items():
        k = tuple(_key_of(d, iid, wid, items, regions) for d in dims)
        acc.setdefault(k, [0, 0])[0] += amt
        journals += amt
    rest = _Books(as_of, warehouses).balance(account) - sub_total - journals
    if rest:
        acc.setdefault(tuple(None for _ in dims), [0, 0])[0] += rest
    labels = {d: _labels(d, {k[n] for k in acc}) for n, d in enumerate(dims)}
    out = []
    for k, (gl, sub) in acc.items():
        if not gl and not sub:
            continue
        row = {"gl": gl, "sub": sub, "difference": gl - sub}
        for n, d in enumerate(dims):
            lab = labels[d].get(k[n]) if k[n] is not None else None
            row[d] = {"id": k[n], "code": lab[0] if isinstance(lab, tuple) else (k[n] or ""),
                      "name": lab[1] if isinstance(lab, tuple) else (k[n] or "未分配")}
        out.append(row)
    out.sort(key=lambda r: tuple((r[d]["id"] is None, r[d]["code"]) for d in dims))
    return out


def party_breakdown(ledger: str, as_of: date) -> list[dict]:
    """gl and open documents of ar (by customer), ap and grni (by supplier)."""
    code = {"ar": "1122", "ap": "220201", "grni": "220202"}[ledger]
    sign = 1 if ledger == "ar" else -1
    dim = "customer" if ledger == "ar" else "supplier"
    acc: dict = {}
    for r in (VoucherLine.objects.filter(_subtree(code), date__lte=as_of).values(f"{dim}_id")
              .annotate(d=Sum("debit"), c=Sum("credit"))):
        acc.setdefault(r[f"{dim}_id"], [0, 0])[0] += sign * ((r["d"] or 0) - (r["c"] or 0))
    for pid, v in _party_sub(ledger, as_of).items():
        acc.setdefault(pid, [0, 0])[1] += v
    labels = _labels(dim, set(acc))
    out = [{dim: {"id": k, "code": labels[k][0] if k in labels else "", "name": labels[k][1] if k in labels else "未分配"},
            "gl": gl, "sub": sub, "difference": gl - sub} for k, (gl, sub) in acc.items()]
    out.sort(key=lambda r: (r[dim]["id"] is None, r[dim]["code"]))
    return out


def _party_sub(ledger, as_of) -> dict:
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    party = "customer" if ledger == "ar" else "supplier"
    base = DocumentLine.objects.filter(document__date__lte=as_of, document__status=Document.POSTED)
    out: dict = {}

    def add(qs, expr, sign):
        for r in qs.values(f"document__{party}_id").annotate(s=Sum(expr)):
            out[r[f"document__{party}_id"]] = out.get(r[f"document__{party}_id"], 0) + sign * (r["s"] or 0)

    # the same terms as the engine's pair totals (recon/engine.py _subledger), per party: red invoices give
    # back the P their blue lines took and reduce the invoiced gross; prepayments (预收/预付) are not on
    # 1122 / 2202, their applications (预收冲应收 / 预付冲应付) are (docs/contract-extensions.md)
    P = Cast(KT("result__P"), output_field=BigIntegerField())
    if ledger == "grni":
        add(base.filter(document__type="purchase_receipt"), "amount", 1)
        add(base.filter(document__type__in=("purchase_invoice", "purchase_return")), P, -1)
        add(base.filter(document__type="purchase_red_invoice"), P, 1)
    elif ledger == "ar":
        add(base.filter(document__type="sales_delivery"), "amount", 1)
        add(base.filter(document__type__in=("sales_invoice", "sales_return")), P, -1)
        add(base.filter(document__type="sales_red_invoice"), P, 1)
        for sign, typ in ((1, "sales_invoice"), (-1, "sales_red_invoice")):
            add(base.filter(document__type=typ), "amount", sign)
            add(base.filter(document__type=typ), "tax", sign)
    else:
        for sign, typ in ((1, "purchase_invoice"), (-1, "purchase_red_invoice")):
            add(base.filter(document__type=typ), "amount", sign)
            add(base.filter(document__type=typ), "tax", sign)
    money = "customer_receipt" if ledger == "ar" else ("supplier_payment" if ledger == "ap" else None)
    if money:
        settled = Document.objects.filter(Q(type=money, prepayment=False) | Q(type="advance_application", **{f"{party}__isnull": False}),
                                          date__lte=as_of, status=Document.POSTED)
        for r in settled.values(f"{party}_id").annotate(s=Sum("amount")):
            out[r[f"{party}_id"]] = out.get(r[f"{party}_id"], 0) - (r["s"] or 0)
    return out


def breakdown(key: str, as_of: date, by: str, warehouses=None) -> list[dict]:
    """A pair's figures split by ``by`` ("warehouse", "item", "category", "product_line", "region", or two
    joined by a comma for a matrix; ar: "customer"; ap and grni: "supplier"). Money as strings."""
    ledger, code = key.split(":", 1)
    dims = [d.strip() for d in by.split(",") if d.strip()]
    if ledger == "stock":
        if not dims or any(d not in ("warehouse", "item", "category", "product_line", "region") for d in dims):
            raise ValueError(f"invalid breakdown {by!r} for {key}")
        rows = stock_breakdown(code, as_of, dims, warehouses)
    elif ledger in ("ar", "ap", "grni"):
        want = "customer" if ledger == "ar" else "supplier"
        if dims != [want]:
            raise ValueError(f"invalid breakdown {by!r} for {key}")
        rows = party_breakdown(ledger, as_of)
    else:
        raise ValueError(f"no breakdown for {key}")
    for r in rows:
        for k in ("gl", "sub", "difference"):
            r[k] = fmt_money(r[k])
    return rows


def breakdown_cached(key: str, as_of: date, by: str, warehouses=None) -> dict:
    return cached(f"breakdown|{key}|{by}|{_wh_key(warehouses)}", as_of, lambda: breakdown(key, as_of, by, warehouses))


# -- thresholds ---------------------------------------------------------------------------------------
DEFAULT_PCT = Decimal("0.5")


def threshold_for(account: str, warehouse_id: int | None = None) -> tuple[Decimal, int]:
    """(percent, amount in 分) for a pair's account (and warehouse): the most specific row wins."""
    rows = list(Threshold.objects.filter(Q(account=account) | Q(account=""), Q(warehouse_id=warehouse_id) | Q(warehouse__isnull=True)))
    rows.sort(key=lambda t: (t.account == "", t.warehouse_id is None))
    if rows:
        return rows[0].pct, rows[0].amount
    return DEFAULT_PCT, 0


def is_material(difference: int, base: int, account: str, warehouse_id: int | None = None) -> bool:
    """Above the threshold (opens a case)? With an amount set: |difference| > amount. Otherwise
    |difference| > pct % of |base| (the ledger balance); any difference on a zero balance is material."""
    if not difference:
        return False
    pct, amount = threshold_for(account, warehouse_id)
    if amount:
        return abs(difference) > amount
    return Decimal(abs(difference)) * 100 > pct * abs(base)


# -- external general ledgers (saved runs of stockbook/external) --------------------------------------
def external_runs(limit: int = 20) -> list:
    """The latest saved external GL runs (imported voucher exports of 金蝶/用友), newest first."""
    from stockbook.external.models import ExternalRun

    return list(ExternalRun.objects.filter(kind="gl").order_by("-created_at", "-id")[:limit])


def reconcile_run(run_id: int, as_of: date | None = None) -> list[PairResult]:
    """Every ledger pair of a saved external GL run: its lines from the run's start date to ``as_of``
    (default: the run's end date) against what Stockbook booked. LookupError if there is no such run."""
    from stockbook.external.models import ExternalRun

    from .engine import ExtLine

    run = ExternalRun.objects.filter(pk=run_id, kind="gl").first()
    if run is None:
        raise LookupError(run_id)
    lines = [ExtLine(*r) for r in run.gl_lines.order_by("row_no").values_list(
        "date", "voucher_no", "account", "debit", "credit", "summary", "reference", "row_no")]
    start = run.date_from or min((ln.date for ln in lines), default=as_of or date.today())
    return reconcile_external(lines, start, as_of or run.date_to or max((ln.date for ln in lines), default=start))
