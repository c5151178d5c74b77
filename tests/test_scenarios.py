"""The shared scenarios (../shared/scenarios): the master-data, opening-balance and journal parts.

Every account that only journals and opening balances touch must match the expected trial balances
exactly (accounts that business documents post to are compared once the stock engine lands).
"""
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from stockbook.interchange.importer import import_file
from stockbook.posting.fields import parse_date
from stockbook.reports.registry import build_report
from tests.conftest import SHARED

SCENARIOS = sorted((SHARED / "scenarios").glob("*.jsonl"))
BUSINESS_ROLE_CODES = {"112201", "112202", "220201", "220202", "222101", "222102", "1901", "5001", "5401", "5301", "5711", "6001", "6401", "6602", "6711"}


def journal_only_accounts(docs):
    touched_by_business, by_journal = set(), set()
    for d in docs:
        if d["type"] == "item":
            touched_by_business.add(d.get("account", "1405"))
        elif d["type"] in ("customer_receipt", "supplier_payment"):
            touched_by_business.add(d["account"])
        elif d["type"] in ("journal", "opening_balance"):
            by_journal |= {ln["account"] for ln in d["lines"]}
    touched_by_business |= BUSINESS_ROLE_CODES
    touched_by_business |= {c[:4] for c in touched_by_business}  # their parents
    out = set()
    for code in by_journal - touched_by_business:
        if any(b.startswith(code) for b in touched_by_business):
            continue  # a parent of a business account
        out.add(code)
        if len(code) > 4 and code[:4] not in touched_by_business:
            out.add(code[:4])
    return out


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_journal_and_opening_accounts(scenario: Path):
    assert SCENARIOS, "shared scenarios not found"
    docs = [json.loads(x) for x in scenario.read_text(encoding="utf-8").splitlines() if x.strip()]
    accounts = journal_only_accounts(docs)
    assert accounts, "the scenario has journal-only accounts to check"
    rc = import_file(str(scenario), out=io.StringIO(), err=io.StringIO())
    assert rc == 1  # business documents are rejected until the stock engine lands
    checked = 0
    for f in sorted(scenario.with_suffix(".expected").glob("trial-balance-*.json")):
        want = json.loads(f.read_text(encoding="utf-8"))
        rep = build_report("trial-balance", {"start": parse_date(want["from"]), "end": parse_date(want["to"])})
        got = {r["account"]: r for r in rep.data["rows"]}
        for row in want["rows"]:
            if row["account"] not in accounts:
                continue
            g = got[row["account"]]
            for k in ("opening", "debit", "credit", "closing"):
                assert Decimal(g[k]) == Decimal(row[k]), (f.name, row["account"], k)
            checked += 1
    assert checked >= 4
