"""The demo company: loads through post(), balances every month, is idempotent, and has its users."""
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from stockbook.demo import data
from stockbook.demo.generate import documents, periods
from stockbook.demo.ids import uscc_valid

@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """Load the demo once for the module, inside a transaction rolled back at the end."""
    from django.db import transaction

    from stockbook.demo.load import load_demo

    with django_db_blocker.unblock():
        with transaction.atomic():
            out = io.StringIO()
            res = load_demo(out=out)
            yield res, out.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_loaded, db):
    return _demo_loaded


def _month_end(p):
    y, m = divmod(p, 100)
    return date(y + (m == 12), 1 if m == 12 else m + 1, 1) - timedelta(days=1)


def test_documents_are_deterministic():
    a, b = list(documents()), list(documents())
    assert a == b
    refs = [(d["type"], d.get("ref") or d.get("code")) for d in a]
    assert len(refs) == len(set(refs))


def test_master_data(demo):
    from stockbook.ledger.models import Account
    from stockbook.masterdata.models import Barcode, Company, Customer, Item, ItemUnit, Supplier, Warehouse

    res, out = demo
    c = Company.current()
    assert (c.code, c.name, c.chart, c.costing_method) == ("DEMO", "示例商贸有限公司", "small_enterprise", "moving_average")
    assert c.start_period == 202512 and uscc_valid(c.tax_id)
    assert Warehouse.objects.count() == 3
    assert {w.region.name for w in Warehouse.objects.all()} == {"华东", "华南"}
    assert Item.objects.count() >= 30
    assert Item.objects.values("category").distinct().count() >= 4
    assert Item.objects.filter(account__code="1403").count() >= 2
    assert Item.objects.exclude(costing_method="").count() >= 2
    assert ItemUnit.objects.filter(name="吨", factor=1000).exists() and ItemUnit.objects.filter(name="箱", factor=24).exists()
    assert Barcode.objects.count() >= Item.objects.count()
    assert not Item.objects.filter(safety_min__isnull=True).exists()
    assert Supplier.objects.count() == 10 and Customer.objects.count() == 20
    for p in [*Supplier.objects.all(), *Customer.objects.all()]:
        assert uscc_valid(p.tax_id), p.tax_id
        assert p.contact and p.phone and p.payment_terms
    assert Customer.objects.filter(credit_limit__gt=0).count() >= 15
    for code in ("560201", "560202", "560101", "100201", "100202"):
        assert Account.objects.filter(code=code).exists()
    assert "新过账" in out


def test_books_balance_every_month(demo):
    from stockbook.ledger.models import Period, Voucher
    from stockbook.reports.trial_balance import trial_balance

    today = date.fromisoformat(data.TODAY)
    months = list(periods(data.START_PERIOD, today))
    assert len(months) == 12
    first = trial_balance(date(2025, 12, 1), date(2025, 12, 31))
    t = first.totals
    assert t["opening_debit"] == t["opening_credit"] and Decimal(t["opening_debit"]) > 0
    for p in months:
        y, m = divmod(p, 100)
        rep = trial_balance(date(y, m, 1), min(_month_end(p), today))
        t = rep.totals
        assert t["opening_debit"] == t["opening_credit"], p
        assert t["debit"] == t["credit"] and Decimal(t["debit"]) > 0, p
        assert t["closing_debit"] == t["closing_credit"], p
    # every month before the current one is closed, the current one is open
    assert list(Period.objects.filter(status="closed").values_list("period", flat=True)) == months[:-1]
    assert Voucher.objects.filter(kind="opening").count() == 1
    assert not Voucher.objects.filter(date__gt=today).exists()


def test_opening_stock_differs_from_1405_by_a_little(demo):
    from stockbook.ledger.models import VoucherLine
    from stockbook.posting.models import DocumentLine

    stock = sum(DocumentLine.objects.filter(document__type="opening_stock", item__account__code="1405").values_list("amount", flat=True))
    ledger = sum(VoucherLine.objects.filter(voucher__kind="opening", account__code="1405").values_list("debit", flat=True))
    assert 0 < ledger - stock < 100_000  # 分: a small deliberate opening_mismatch
    stock_1403 = sum(DocumentLine.objects.filter(document__type="opening_stock", item__account__code="1403").values_list("amount", flat=True))
    assert stock_1403 == sum(VoucherLine.objects.filter(voucher__kind="opening", account__code="1403").values_list("debit", flat=True))


def test_second_run_changes_nothing(demo):
    from stockbook.ledger.models import PeriodBalance, Voucher, VoucherLine
    from stockbook.demo.load import load_demo

    res, _ = demo
    assert res["posted"] > 300 and res["duplicates"] == 0
    before = (Voucher.objects.count(), VoucherLine.objects.count(), list(PeriodBalance.objects.order_by("account_id", "period").values_list("debit", "credit")))
    again = load_demo(out=io.StringIO())
    assert again["posted"] == 0 and again["duplicates"] == res["posted"]
    after = (Voucher.objects.count(), VoucherLine.objects.count(), list(PeriodBalance.objects.order_by("account_id", "period").values_list("debit", "credit")))
    assert before == after


def test_users_and_groups(demo):
    from django.contrib.auth import authenticate
    from django.contrib.auth.models import Group, User

    from stockbook.demo.users import DEMO_PASSWORD, USERS

    _, out = demo
    for username, group, *_ in USERS:
        u = User.objects.get(username=username)
        assert list(u.groups.values_list("name", flat=True)) == [group]
        assert u.check_password(DEMO_PASSWORD)
        assert username in out
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.get(username="auditor").is_staff
    assert {"采购", "销售", "仓库", "财务", "财务主管", "区域经理", "管理层", "审计"} <= set(Group.objects.values_list("name", flat=True))
