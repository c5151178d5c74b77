"""发生额及余额表 at the edges of months and years, and against a brute-force sum of voucher lines."""
from datetime import date, timedelta

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockbook.ledger.models import Account, VoucherLine
from stockbook.reports.ledgers import detail_ledger, general_ledger
from stockbook.reports.trial_balance import trial_balance

from .conftest import journal

D = date.fromisoformat


def tb(a, b):
    return {r["account"]: (r["opening"], r["debit"], r["credit"], r["closing"])
            for r in trial_balance(D(a), D(b)).data["rows"]}


def test_mid_month_to_mid_month(ledger_books):
    """01-15..02-10: J1 (01-05) and J6 (01-10) are opening; J2 (01-20) and J3 (02-03) are turnover;
    J4 (02-15), J7 (02-20), J5 (03-10) are outside."""
    assert tb("2026-01-15", "2026-02-10") == {
        "1002": ("1110.00", "0.00", "30.00", "1080.00"),
        "100201": ("100.00", "0.00", "0.00", "100.00"),
        "100202": ("10.00", "0.00", "30.00", "-20.00"),
        "1122": ("500.00", "200.00", "0.00", "700.00"),
        "3001": ("-1610.00", "0.00", "0.00", "-1610.00"),
        "5001": ("0.00", "0.00", "200.00", "-200.00"),
        "5602": ("0.00", "30.00", "0.00", "30.00"),
    }


def test_inside_one_month(ledger_books):
    assert tb("2026-01-06", "2026-01-19")["1002"] == ("1100.00", "10.00", "0.00", "1110.00")
    assert tb("2026-01-01", "2026-01-10")["1002"] == ("1000.00", "110.00", "0.00", "1110.00")
    assert tb("2026-01-11", "2026-01-31")["1002"] == ("1110.00", "0.00", "30.00", "1080.00")
    assert tb("2026-02-15", "2026-02-15")["100201"] == ("100.00", "200.00", "0.00", "300.00")


def test_across_year_end(ledger_books, post_json):
    post_json(journal("Y1", "2026-12-20", ("1002", "debit", "40.00"), ("3001", "credit", "40.00")))
    post_json(journal("Y2", "2027-01-05", ("100201", "debit", "7.00"), ("3001", "credit", "7.00")))
    post_json(journal("Y3", "2027-01-31", ("5602", "debit", "1.00"), ("100202", "credit", "1.00")))
    got = tb("2026-12-15", "2027-01-10")
    assert got["1002"] == ("1330.00", "47.00", "0.00", "1377.00")
    assert got["100201"] == ("300.00", "7.00", "0.00", "307.00")
    assert got["3001"] == ("-1660.00", "0.00", "47.00", "-1707.00")
    got = tb("2026-12-01", "2027-01-31")
    assert got["1002"] == ("1330.00", "47.00", "1.00", "1376.00")
    # the general ledger restarts 本年累计 in January
    rows = general_ledger("1002", D("2026-11-01"), D("2027-01-31")).data["rows"]
    assert [(r["period"], r["debit"], r["ytd_debit"], r["ytd_credit"], r["closing"]) for r in rows] == [
        ("2026-11", "0.00", "360.00", "30.00", "1330.00"),
        ("2026-12", "40.00", "400.00", "30.00", "1370.00"),
        ("2027-01", "7.00", "7.00", "1.00", "1376.00"),
    ]


def test_parent_rolls_up_children_and_own_lines(ledger_books):
    got = tb("2026-01-01", "2026-03-31")
    kids = [got["100201"], got["100202"]]
    own_1002 = 50.00  # J5 on 1002 itself; the opening was on 1002 too
    assert float(got["1002"][1]) == sum(float(k[1]) for k in kids) + own_1002
    assert float(got["1002"][2]) == sum(float(k[2]) for k in kids)
    assert got["1002"] == ("1000.00", "360.00", "30.00", "1330.00")
    assert got["1122"] == ("500.00", "280.00", "200.00", "580.00")


# --- property: the reports equal brute-force sums of VoucherLine rows ----------------------------------

ACCOUNTS = ["1002", "100201", "100202", "1122", "112201", "3001", "5001", "5602", "560201"]
FIRST, LAST = D("2026-01-01"), D("2027-02-28")


def brute(code, start, end):
    """(opening, debit, credit) in 分 of the account and everything below it, straight from the lines."""
    ids = [a.pk for a in Account.objects.filter(code__startswith=code)]
    op = d = c = 0
    for ln in VoucherLine.objects.filter(account_id__in=ids, date__lte=end):
        if ln.date < start:
            op += ln.debit - ln.credit
        else:
            d += ln.debit
            c += ln.credit
    return op, d, c


def fen(s):
    return int(round(float(s) * 100))


days = st.integers(0, (LAST - FIRST).days).map(lambda n: FIRST + timedelta(days=n))
journals = st.lists(
    st.tuples(days, st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), st.integers(1, 500_000)),
    min_size=1, max_size=8)
ranges = st.tuples(
    st.integers(-40, (LAST - FIRST).days + 40), st.integers(0, 120)).map(
    lambda t: (FIRST + timedelta(days=t[0]), FIRST + timedelta(days=t[0] + t[1])))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(js=journals, rng=ranges)
def test_reports_equal_brute_force(ledger_books, post_json, js, rng):
    start, end = rng
    with transaction.atomic():
        if not Account.objects.filter(code="560201").exists():
            post_json({"type": "account", "code": "560201", "name": "办公费", "parent": "5602"})
        for i, (day, dr, cr, amount) in enumerate(js):
            post_json(journal(f"H{i}", day.isoformat(), (dr, "debit", f"{amount / 100:.2f}"),
                              (cr, "credit", f"{amount / 100:.2f}")))
        got = {r["account"]: r for r in trial_balance(start, end).data["rows"]}
        for code in ACCOUNTS:
            op, d, c = brute(code, start, end)
            r = got.get(code)
            if r is None:
                assert (op, d, c) == (0, 0, 0), code
                continue
            assert (fen(r["opening"]), fen(r["debit"]), fen(r["credit"]), fen(r["closing"])) == (op, d, c, op + d - c), code
            sign = {"借": 1, "贷": -1, "平": 0}
            gl = general_ledger(code, start, end).data["rows"]
            assert sign[gl[0]["opening_direction"]] * fen(gl[0]["opening"]) == op
            assert sum(fen(x["debit"]) for x in gl) == d and sum(fen(x["credit"]) for x in gl) == c
            assert sign[gl[-1]["direction"]] * fen(gl[-1]["closing"]) == op + d - c
            # 本年累计 of the last month: from January 1 of its year
            y0 = date(end.year, 1, 1)
            _, yd, yc = brute(code, y0, end)
            assert (fen(gl[-1]["ytd_debit"]), fen(gl[-1]["ytd_credit"])) == (yd, yc)
            dl = detail_ledger(code, start, end, {}).data["rows"]
            lines = [x for x in dl if x["kind"] == "line"]
            assert sum(fen(x["debit"]) for x in lines) == d and sum(fen(x["credit"]) for x in lines) == c
            assert sign[dl[-1]["direction"]] * fen(dl[-1]["balance"]) == op + d - c
        transaction.set_rollback(True)
