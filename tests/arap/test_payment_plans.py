"""收付款计划 (payment plans, docs/contract-extensions.md §3): an invoice's optional payment_plan of
{due_date, amount} summing to its gross; the instalments report (due / overdue / upcoming) and the aging by
due date. Sales of net N have gross N × 1.13; C01 has no payment_terms (30 days)."""
from datetime import date

import pytest

from tests.redinvoice.helpers import rejected
from tests.stock.helpers import delivery

from .conftest import report

pytestmark = pytest.mark.django_db


def sinv_plan(ref, day, dlv, net, plan, customer="C01"):
    return {"type": "sales_invoice", "ref": ref, "date": day, "customer": customer,
            "lines": [{"delivery": dlv, "line": 1, "qty": "1", "unit_price": net}],
            "payment_plan": [{"due_date": d, "amount": a} for d, a in plan]}


@pytest.fixture
def planned(arap, post_json):
    """SI1 01-10 net 1000.00 = 1130.00 in three instalments: 02-10 500.00, 03-10 500.00, 04-10 130.00.
    SI2 01-20 net 100.00 = 113.00 without a plan: due 02-19 (30 days). RC1 02-15 pays 600.00 for SI1."""
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "1", "1000.00")]))
    post_json(sinv_plan("SI1", "2026-01-10", "D1", "1000.00", [("2026-03-10", "500.00"), ("2026-02-10", "500.00"),
                                                                ("2026-04-10", "130.00")]))
    arap.sale("SI2", "2026-01-20", "100.00")
    arap.receive("RC1", "2026-02-15", "600.00", alloc=[("SI1", "600.00")])
    return arap


def test_instalments_report(planned):
    """As of 03-15: SI1's 600.00 settles instalment 1 (500.00) and 100.00 of instalment 2 → #2 open 400.00,
    5 days overdue; #3 130.00 upcoming; SI2 113.00 due 02-19, 24 days overdue."""
    got = report("ar-instalments", as_of=date(2026, 3, 15))["rows"]
    assert [(r["invoice"], r["seq"], r["due_date"], r["amount"], r["open"], r["days_overdue"], r["status"]) for r in got] == [
        ("SI2", 1, "2026-02-19", "113.00", "113.00", 24, "overdue"),
        ("SI1", 2, "2026-03-10", "500.00", "400.00", 5, "overdue"),
        ("SI1", 3, "2026-04-10", "130.00", "130.00", 0, "upcoming")]


def test_aging_by_due_date(planned):
    """By invoice date SI1 (64 days, open 530.00) is 61-90, SI2 (54 days, 113.00) 31-60. By due date: not due
    130.00, overdue 1–30 days 400.00 + 113.00 = 513.00; same total 643.00."""
    inv = report("ar-aging", as_of=date(2026, 3, 15))["rows"][0]
    due = report("ar-aging", as_of=date(2026, 3, 15), by="due")["rows"][0]
    assert inv["total"] == due["total"] == "643.00" and (inv["31-60"], inv["61-90"]) == ("113.00", "530.00")
    assert (due["not_due"], due["0-30"], due["31-60"]) == ("130.00", "513.00", "0.00")


def test_bad_plans(arap, post_json):
    """Plan total ≠ gross, a due date before the invoice, a bad date, a zero amount, an empty list: invalid_value,
    nothing written."""
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "1", "100.00")]))
    for plan in ([("2026-02-10", "100.00")], [("2026-01-09", "113.00")], [("2026-02-30", "113.00")],
                 [("2026-02-10", "113.00"), ("2026-03-10", "0")], []):
        doc = sinv_plan("SI1", "2026-01-10", "D1", "100.00", plan)
        assert rejected(post_json, doc) == "invalid_value", plan
    post_json(sinv_plan("SI1", "2026-01-10", "D1", "100.00", [("2026-01-10", "13.00"), ("2026-02-10", "100.00")]))
    from stockbook.posting.models import PaymentPlanLine

    assert list(PaymentPlanLine.objects.values_list("seq", "amount")) == [(1, 1300), (2, 10000)]


def test_cli(planned, capsys):
    from stockbook.reports.registry import build_report

    with pytest.raises(Exception) as e:
        build_report("ar-aging", {"as_of": date(2026, 3, 15), "by": "month"})
    assert getattr(e.value, "code", None) == "invalid_value"
    rows = build_report("ap-instalments", {"as_of": date(2026, 3, 15)}).data["rows"]
    assert rows == []
