"""The shared scenarios (../shared/scenarios) must match their expected reports exactly, on SQLite and on
PostgreSQL — the same comparison as ../shared/tools/check_scenarios, run in-process on the test database."""
import io
import json
import re
from calendar import monthrange
from decimal import Decimal
from pathlib import Path

import pytest

from stockbook.interchange.importer import import_file
from stockbook.posting.fields import parse_date
from stockbook.reports.registry import build_report
from tests.conftest import SHARED

SCENARIOS = sorted((SHARED / "scenarios").glob("*.jsonl"))


def D(x):
    return Decimal(str(x)) if x not in (None, "") else Decimal(0)


def causes(row):
    m = {}
    for c in row.get("causes") or []:
        m[c["cause"]] = m.get(c["cause"], Decimal(0)) + D(c["amount"])
    return m


def compare(kind, want, got) -> list[str]:
    bad = []
    if kind == "stock-balance":
        key = lambda r: (r["item"], r["warehouse"])  # noqa: E731
        w, g = {key(r): r for r in want["rows"]}, {key(r): r for r in got["rows"]}
        for k in sorted(set(w) | set(g)):
            a, b = w.get(k), g.get(k)
            va = (D(a["qty"]), D(a["value"]), a["pending"]) if a else (0, 0, False)
            vb = (D(b["qty"]), D(b["value"]), b["pending"]) if b else (0, 0, False)
            if va != vb:
                bad.append(f"{k}: want {va} got {vb}")
    elif kind == "trial-balance":
        g = {r["account"]: r for r in got["rows"]}
        for a in want["rows"]:
            b = g.get(a["account"])
            f = ("opening", "debit", "credit", "closing")
            if b is None or any(D(a[x]) != D(b[x]) for x in f):
                bad.append(f"{a['account']}: want {[a[x] for x in f]} got {b and [b[x] for x in f]}")
    else:
        key = lambda r: (r["ledger"], r["account"])  # noqa: E731
        g = {key(r): r for r in got["rows"]}
        f = ("gl", "subledger", "difference", "unexplained")
        for a in want["rows"]:
            b = g.get(key(a))
            if b is None or any(D(a[x]) != D(b[x]) for x in f) or causes(a) != causes(b):
                bad.append(f"{key(a)}: want {a} got {b}")
        assert [key(r) for r in got["rows"]] == [key(r) for r in want["rows"]], "reconcile rows in contract order"
    return bad


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_matches_expected_reports(scenario: Path):
    exp = scenario.with_suffix(".expected")
    err = io.StringIO()
    rc = import_file(str(scenario), out=io.StringIO(), err=err)
    got_errors = {(e["line"], e["error"]) for e in map(json.loads, err.getvalue().splitlines())}
    want_errors = {(e["line"], e["error"]) for e in map(json.loads, (exp / "errors.jsonl").read_text().splitlines()) if e}
    assert got_errors == want_errors
    assert rc == (1 if want_errors else 0)
    mismatches = []
    files = sorted(exp.glob("*.json"))
    assert len(files) == 6
    for f in files:
        kind, when = re.match(r"(stock-balance|trial-balance|reconcile)-([\d-]+)\.json$", f.name).groups()
        if kind == "trial-balance":
            y, m = map(int, when.split("-"))
            params = {"start": parse_date(f"{when}-01"), "end": parse_date(f"{when}-{monthrange(y, m)[1]:02d}")}
        else:
            params = {"as_of": parse_date(when)}
        got = json.loads(json.dumps(build_report(kind, params).data))
        mismatches += [f"{f.name} {x}" for x in compare(kind, json.loads(f.read_text(encoding="utf-8")), got)]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.django_db(transaction=True)
def test_importing_a_scenario_twice_changes_nothing():
    scenario = SHARED / "scenarios" / "basic-fifo.jsonl"
    import_file(str(scenario), out=io.StringIO(), err=io.StringIO())
    params = {"start": parse_date("2026-01-01"), "end": parse_date("2026-02-28")}
    before = build_report("trial-balance", params).data
    err = io.StringIO()
    rc = import_file(str(scenario), out=io.StringIO(), err=err)
    assert rc == 1
    # the rejected lines are rejected again, now both with period_closed: January has been closed since
    assert {(e["line"], e["error"]) for e in map(json.loads, err.getvalue().splitlines())} == {(31, "period_closed"), (36, "period_closed")}
    assert build_report("trial-balance", params).data == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_recosting_from_scratch_gives_what_is_stored(scenario):
    """Valuation is derived state: replaying every item from the opening gives exactly the stored results,
    move values and item states (the scenario includes a backdated delivery and two closes)."""
    from stockbook.stock.revalue import recompute

    import_file(str(scenario), out=io.StringIO(), err=io.StringIO())
    assert recompute() == []


@pytest.mark.django_db(transaction=True)
def test_recompute_detects_a_tampered_value():
    from stockbook.stock.models import StockMove
    from stockbook.stock.revalue import recompute

    import_file(str(SHARED / "scenarios" / "basic-moving-average.jsonl"), out=io.StringIO(), err=io.StringIO())
    m = StockMove.objects.filter(code=202).first()
    StockMove.objects.filter(pk=m.pk).update(value=m.value - 1)
    diffs = recompute()
    # the tampered move, and the month's StockPeriod sum that no longer equals its moves
    assert len(diffs) == 2 and "move" in diffs[0] and "StockPeriod" in diffs[1]


@pytest.mark.django_db(transaction=True)
def test_balance_tables_equal_the_voucher_lines():
    """PeriodBalance (account × month) and PartyBalance (account × customer/supplier) are kept in the
    posting transaction; both must equal the sums of the voucher lines."""
    from django.db.models import Sum

    from stockbook.ledger.models import PartyBalance, PeriodBalance, VoucherLine

    import_file(str(SHARED / "scenarios" / "basic-monthly-average.jsonl"), out=io.StringIO(), err=io.StringIO())
    lines = {(r["account_id"], r["period"]): (r["d"], r["c"]) for r in
             VoucherLine.objects.values("account_id", "period").annotate(d=Sum("debit"), c=Sum("credit"))}
    assert lines == {(p.account_id, p.period): (p.debit, p.credit) for p in PeriodBalance.objects.all()}
    party = {}
    for kind, field in (("c", "customer_id"), ("s", "supplier_id")):
        for r in VoucherLine.objects.exclude(**{field: None}).values("account_id", field).annotate(d=Sum("debit"), c=Sum("credit")):
            party[(r["account_id"], kind, r[field])] = (r["d"], r["c"])
    assert party and party == {(p.account_id, p.party_kind, p.party_id): (p.debit, p.credit) for p in PartyBalance.objects.all()}
