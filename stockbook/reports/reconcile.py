"""Reconcile (账实核对), contract section 5: each control account against its subledger, as of a date,
with the difference split into explained causes and an unexplained rest. The figures and their
attribution come from the reconciliation engine (stockbook/recon/engine.py); this module gives them the
contract's shape.
"""
from datetime import date

from stockbook.core.money import fmt_money
from stockbook.ledger.models import Account
from stockbook.recon.causes import BUILTIN
from stockbook.recon.engine import LEDGER_NAMES as ENGINE_LEDGERS
from stockbook.recon.engine import reconcile_internal

from .base import Column, Report

CAUSE_NAMES = {code: v[0] for code, v in BUILTIN.items()}
LEDGER_NAMES = {k: v for k, v in ENGINE_LEDGERS.items() if k in ("stock", "grni", "ar", "ap")}  # the contract's rows


def reconcile_rows(as_of: date) -> list[dict]:
    """The contract's rows (stock, grni, ar, ap) from the reconciliation engine (stockbook/recon)."""
    out = []
    for p in reconcile_internal(as_of):
        if p.ledger not in LEDGER_NAMES:
            continue
        out.append({"ledger": p.ledger, "account": p.account, "gl": p.gl, "subledger": p.sub, "difference": p.difference,
                    "causes": [{"cause": c.cause, "amount": c.amount, "refs": c.refs} for c in p.parts],
                    "unexplained": p.unexplained})
    return out


def reconcile(as_of: date) -> Report:
    rows = reconcile_rows(as_of)
    data = {"report": "reconcile", "as_of": as_of.isoformat(), "rows": [
        {"ledger": r["ledger"], "account": r["account"], "gl": fmt_money(r["gl"]), "subledger": fmt_money(r["subledger"]),
         "difference": fmt_money(r["difference"]),
         "causes": [{"cause": c["cause"], "amount": fmt_money(c["amount"]), "refs": c["refs"]} for c in r["causes"]],
         "unexplained": fmt_money(r["unexplained"])} for r in rows]}
    names = dict(Account.objects.filter(code__in=[r["account"] for r in rows]).values_list("code", "name"))
    table = [{"ledger": LEDGER_NAMES[r["ledger"]], "account": r["account"], "name": names.get(r["account"], ""),
              "gl": fmt_money(r["gl"]), "subledger": fmt_money(r["subledger"]), "difference": fmt_money(r["difference"]),
              "causes": "；".join(f"{CAUSE_NAMES.get(c['cause'], c['cause'])} {fmt_money(c['amount'])}（{'、'.join(c['refs'])}）"
                                 for c in r["causes"]),
              "unexplained": fmt_money(r["unexplained"])} for r in rows]
    cols = [Column("ledger", "对账项目"), Column("account", "科目"), Column("name", "科目名称"), Column("gl", "总账", "money"),
            Column("subledger", "明细账", "money"), Column("difference", "差异", "money"), Column("causes", "已解释原因"),
            Column("unexplained", "未解释", "money")]
    return Report("reconcile", "账实核对表", data, cols, table, subtitle=f"截至 {as_of.isoformat()}")
