"""Difference cases from the external reconciliations: the latest saved 金蝶/用友 voucher export (through the
engine, pair by pair, like the internal books) and the latest WMS stock list (per warehouse and cause,
quantities valued at the book unit cost so that thresholds and amounts mean the same as elsewhere).

Keys: ``extgl:<pair>`` (e.g. ``extgl:stock:1405``) and ``wms:<warehouse code>``, one case per key ×
warehouse × cause × period as for the internal books; a newer run of the same kind replaces what the older
one said for its period (cases no longer there close themselves, with an event). The period of a GL run
is the last month end inside its dates (an export of 1 October – 5 November reconciles October); of a WMS
run, its as-of date.
"""
from datetime import date, timedelta
from fractions import Fraction

from django.db import transaction

from .models import Case
from .service import apply_expected, expected, period_of


def _gl_as_of(run) -> date:
    end = run.date_to
    month_end = end.replace(day=1) - timedelta(days=1)
    return month_end if run.date_from and month_end >= run.date_from else end


def _apply(exp: dict, period: int, as_of: date, prefix: str) -> dict:
    # materiality against what Stockbook booked (an external GL may itself be what is off); WMS: no balance
    with transaction.atomic():
        created, updated, closed = apply_expected(exp, Case.objects.filter(pair_key__startswith=prefix), period, as_of,
                                                  "sub" if prefix == "extgl:" else "gl")
    return {"period": period, "created": created, "updated": updated, "closed": closed}


def sync_gl_run(run) -> dict:
    from stockbook.recon.service import reconcile_run

    as_of = _gl_as_of(run)
    pairs = []
    for p in reconcile_run(run.pk, as_of):
        j = p.to_json()
        j["key"] = f"extgl:{j['key']}"
        j["name"] = f"外部总账 {j['name']}".strip()
        for it in j["items"]:
            it["reason"] = f"外部对账 #{run.pk}（{run.file_name}）：{it['reason']}"
        pairs.append(j)
    return {"run": run.pk, **_apply(expected(pairs, period_of(as_of)), period_of(as_of), as_of, "extgl:")}


def _unit_costs(as_of: date) -> tuple[dict, dict]:
    """(per (warehouse id, item id), per item id) book unit cost as a Fraction of 分 per 1/10000 unit."""
    from stockbook.reports.stock_balance import balances

    per_wi, per_item = {}, {}
    tot: dict = {}
    for r in balances(as_of):
        if r["qty"] > 0:
            per_wi[(r["warehouse"].pk, r["item"].pk)] = Fraction(r["value"], r["qty"])
            t = tot.setdefault(r["item"].pk, [0, 0])
            t[0] += r["value"]
            t[1] += r["qty"]
    for i, (v, q) in tot.items():
        per_item[i] = Fraction(v, q)
    return per_wi, per_item


def sync_wms_run(run) -> dict:
    from stockbook.core.money import fmt_money, fmt_qty
    from stockbook.masterdata.models import Item, Warehouse
    from stockbook.stock.engine.arith import rfrac

    as_of = run.as_of
    whs = {w.code: w for w in Warehouse.objects.all()}
    items = {i.code: i for i in Item.objects.all()}
    per_wi, per_item = _unit_costs(as_of)
    pairs: dict[str, dict] = {}
    for row in run.result.get("rows", []):
        w, it = whs.get(row["warehouse"]), items.get(row["item"])
        if w is None or it is None:
            continue
        book, ext = _qty(row["book_qty"]), _qty(row["external_qty"])
        diff = ext - book  # the shelf minus the books (a shortage is negative)
        unit = per_wi.get((w.pk, it.pk)) or per_item.get(it.pk) or Fraction(0)
        amount = rfrac(diff * unit)
        p = pairs.setdefault(w.code, {"key": f"wms:{w.code}", "ledger": "stock", "account": it.account.code if it.account_id else "",
                                      "name": "WMS 实物", "gl": "0.00", "subledger": "0.00", "unexplained": "0.00", "items": []})
        p["items"].append({"amount": fmt_money(amount), "cause": row["cause"], "rule": "WMS", "warehouse_id": w.pk,
                           "reason": f"外部对账 #{run.pk}（{run.file_name}）：{it.code} {it.name} 账面 {fmt_qty(book)}，WMS {fmt_qty(ext)}，"
                                     f"差 {fmt_qty(diff)} {it.uom}（按账面单位成本计 {fmt_money(amount)}）",
                           "refs": row.get("refs", []) if isinstance(row.get("refs"), list) else [], "features": {"source": "wms"}})
    exp = expected(list(pairs.values()), period_of(as_of))
    return {"run": run.pk, **_apply(exp, period_of(as_of), as_of, "wms:")}


def _qty(text) -> int:
    from decimal import Decimal

    from stockbook.core.money import to_qty_units

    return to_qty_units(Decimal(str(text)))


def sync_external() -> dict:
    """Cases from the latest GL run and the latest WMS run (if any)."""
    from stockbook.external.models import ExternalRun

    out = {}
    gl = ExternalRun.objects.filter(kind="gl", date_to__isnull=False).order_by("-created_at", "-id").first()
    if gl is not None:
        out["gl"] = sync_gl_run(gl)
    wms = ExternalRun.objects.filter(kind="wms", as_of__isnull=False).order_by("-created_at", "-id").first()
    if wms is not None:
        out["wms"] = sync_wms_run(wms)
    return out
