import pytest


@pytest.fixture
def user(db):
    from django.contrib.auth.models import User

    u = User.objects.create_user("clerk", password="s3cret-pass!", is_staff=True)
    from stockbook.access.roles import ensure_roles

    u.groups.add(*[g for g in ensure_roles() if g.name == "系统管理员"])  # every right, not a superuser
    return u


@pytest.fixture
def web(client, user):
    """A test client logged in as a bookkeeper (Chinese UI, the default)."""
    client.force_login(user)
    return client


@pytest.fixture
def books(company, post_json):
    """The conftest company plus an opening balance and a manual voucher in January 2026."""
    post_json({"type": "account", "code": "560201", "name": "管理费用-办公费", "parent": "5602"})
    post_json({"type": "opening_balance", "date": "2025-12-31", "lines": [
        {"account": "1002", "debit": "100000.00"}, {"account": "1001", "debit": "5000.00"}, {"account": "3001", "credit": "105000.00"}]})
    post_json({"type": "journal", "ref": "JZ-0001", "date": "2026-01-27", "memo": "支付一月办公费", "lines": [
        {"account": "560201", "debit": "800.00"}, {"account": "1001", "credit": "800.00"}]})
    return company
