"""Report names → builders, shared by the CLI, the REST API and the web pages."""
from stockbook.core.errors import DocError

LEDGER_DIMS = ("customer", "supplier", "item", "warehouse")


def build_report(name: str, p: dict, user=None):
    """The report ``name`` for ``p``; with ``user`` (web, API) only what that user may see (access rules:
    capabilities, warehouse scope, cost columns). Without: everything (the command line)."""
    from stockbook.access.reports import check_report, strip_report

    p = check_report(user, name, dict(p))
    return strip_report(_build(name, p), user)


def _build(name: str, p: dict):
    from . import ledgers, trial_balance

    if name == "trial-balance":
        if not p.get("start") or not p.get("end"):
            raise DocError("invalid_value", "发生额及余额表需要 --from 与 --to 日期")
        if p["start"] > p["end"]:
            raise DocError("invalid_value", "开始日期不能晚于结束日期")
        return trial_balance.trial_balance(p["start"], p["end"], level=p.get("level"))
    if name == "general-ledger":
        if any(p.get(k) for k in LEDGER_DIMS):
            raise DocError("invalid_value", "总账不按辅助核算筛选，请使用明细账 detail-ledger")
        return ledgers.general_ledger(p.get("account"), p.get("start"), p.get("end"))
    if name == "detail-ledger":
        return ledgers.detail_ledger(p.get("account"), p.get("start"), p.get("end"), {k: p.get(k) for k in LEDGER_DIMS})
    if name in ("stock-balance", "reconcile"):
        if not p.get("as_of"):
            raise DocError("invalid_value", f"{name} 需要 --as-of 日期")
        from . import reconcile, stock_balance

        if name == "stock-balance":
            return stock_balance.stock_balance(p["as_of"], warehouse_ids=p.get("warehouse_ids"))
        return reconcile.reconcile(p["as_of"])
    if name in ("item-ledger", "stock-summary", "moves"):
        from . import stock_reports as sr

        scope = p.get("warehouse_ids")
        if name == "item-ledger":
            return sr.item_ledger(p.get("item"), p.get("start"), p.get("end"), p.get("warehouse"), warehouse_ids=scope)
        if name == "stock-summary":
            return sr.stock_summary(p.get("start"), p.get("end"), p.get("warehouse"), warehouse_ids=scope)
        return sr.move_log(p.get("start"), p.get("end"), p.get("item"), p.get("warehouse"), warehouse_ids=scope)
    if name in ("ar-aging", "ap-aging"):
        from . import aging

        return aging.aging(aging.SIDES[name], p.get("as_of"), p)
    if name in ("ar-instalments", "ap-instalments"):  # payment plans, docs/contract-extensions.md §3
        from . import instalments

        return instalments.instalments(instalments.INSTALMENT_SIDES[name], p.get("as_of"), p)
    if name == "dunning":
        from . import dunning

        return dunning.dunning(p.get("as_of"), p)
    if name == "statement":
        from . import statement

        return statement.statement(p)
    raise DocError("invalid_value", f"未知的报表 {name}")
