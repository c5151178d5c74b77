import pytest


@pytest.fixture
def books(company, post_json):
    """The conftest company plus an opening balance and a manual voucher in January 2026."""
    post_json({"type": "account", "code": "560201", "name": "管理费用-办公费", "parent": "5602"})
    post_json({"type": "opening_balance", "date": "2025-12-31", "lines": [
        {"account": "1002", "debit": "100000.00"}, {"account": "1001", "debit": "5000.00"}, {"account": "3001", "credit": "105000.00"}]})
    post_json({"type": "journal", "ref": "JZ-0001", "date": "2026-01-27", "memo": "支付一月办公费", "lines": [
        {"account": "560201", "debit": "800.00"}, {"account": "1001", "credit": "800.00"}]})
    return company
