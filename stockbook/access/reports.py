"""What a user may see of a report: which reports (capabilities), which warehouses (scope — the
report is built for those warehouses only, so its totals are theirs), which columns (money is cost in
stock reports: hidden without ``view_cost``). Applied to every format, since all render one Report."""
from django.utils.translation import gettext as _

from stockbook.core.errors import DocError

from .policy import can, require, require_books, warehouse_ids

STOCK_REPORTS = {"stock-balance", "stock-summary", "item-ledger", "moves"}
BOOK_REPORTS = {"trial-balance", "general-ledger", "detail-ledger", "reconcile"}
# receivables/payables (stockbook/reports/aging.py, statement.py): document amounts, so view_documents and
# view_price; a scoped user sees the parties of her regions only (docs/ar-ap.md)
ARAP_REPORTS = {"ar-aging", "ap-aging", "statement", "dunning", "ar-instalments", "ap-instalments"}
# keys of report data rows that carry cost (value) figures
COST_KEYS = {"value", "in_value", "out_value", "value_before", "value_after", "opening_value", "closing_value", "cost"}


def check_report(user, name: str, params: dict) -> dict:
    """Raise ``not_allowed`` if the user may not see the report; return the params with the user's
    warehouse scope added (``warehouse_ids``)."""
    if user is None:
        return params
    if name in BOOK_REPORTS:
        require_books(user)
        return params
    if name in ARAP_REPORTS:
        from stockbook.reports.aging import scope_params

        require(user, "view_documents")
        require(user, "view_price")
        return scope_params(user, name, params)
    require(user, "view_stock_reports")
    ids = warehouse_ids(user)
    if ids is not None:
        code = params.get("warehouse")
        if code:
            from stockbook.masterdata.models import Warehouse

            w = Warehouse.objects.filter(code=code).first()
            if w is not None and w.pk not in ids:
                raise DocError("not_allowed", _("This warehouse is outside your data scope."), field="warehouse")
        params = {**params, "warehouse_ids": ids}
    return params


def strip_report(rep, user):
    """Remove cost columns and figures for a user without ``view_cost`` (table, totals and data)."""
    if user is None or can(user, "view_cost") or rep.name in ARAP_REPORTS:  # ARAP: view_price checked
        return rep
    money = {c.key for c in rep.columns if c.kind == "money"} | COST_KEYS
    rep.columns = [c for c in rep.columns if c.kind != "money"]
    rep.rows = [{k: v for k, v in r.items() if k not in money} for r in rep.rows]
    if rep.totals:
        rest = {k: v for k, v in rep.totals.items() if k not in money}
        rep.totals = rest if len(rest) > 1 else None
    data = dict(rep.data)
    if isinstance(data.get("rows"), list):
        seen = {k for r in data["rows"] for k in r}
        data["rows"] = [{k: v for k, v in r.items() if k not in money} for r in data["rows"]]
        data["hidden"] = sorted(money & seen)
    rep.data = data
    return rep
