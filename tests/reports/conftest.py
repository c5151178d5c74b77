"""A small set of books shared by the report tests (worked figures in test_ledgers.py)."""
import pytest


def journal(ref, day, *lines, memo=None):
    out = []
    for acc, side, amount, *dims in lines:
        ln = {"account": acc, side: amount}
        for d in dims:
            ln.update(d)
        out.append(ln)
    doc = {"type": "journal", "ref": ref, "date": day, "lines": out}
    if memo:
        doc["memo"] = memo
    return doc


@pytest.fixture
def ledger_books(company, post_json):
    """Opening 2025-12-31: 1002 借 1000, 1122/C01 借 500, 3001 贷 1500. Sub-accounts 100201, 100202.

    J1 01-05 100201 Dr 100 / 3001 Cr 100        J3 02-03 1122/C01 Dr 200 / 5001 Cr 200
    J2 01-20 5602 Dr 30 / 100202 Cr 30          J4 02-15 100201 Dr 200 / 1122/C01 Cr 200
    J5 03-10 1002 Dr 50 / 3001 Cr 50            J7 02-20 1122/C02 Dr 80 / 5001 Cr 80
    J6 01-10 100202 Dr 10 / 3001 Cr 10 (posted last: voucher 记-2026-01-0003, listed before 0002)
    """
    post_json({"type": "customer", "code": "C02", "name": "客户二"})
    post_json({"type": "account", "code": "100201", "name": "工商银行", "parent": "1002"})
    post_json({"type": "account", "code": "100202", "name": "建设银行", "parent": "1002"})
    post_json({"type": "opening_balance", "ref": "OB", "date": "2025-12-31", "lines": [
        {"account": "1002", "debit": "1000.00"}, {"account": "1122", "debit": "500.00", "customer": "C01"},
        {"account": "3001", "credit": "1500.00"}]})
    c01, c02 = {"customer": "C01"}, {"customer": "C02"}
    for doc in [
        journal("J1", "2026-01-05", ("100201", "debit", "100.00"), ("3001", "credit", "100.00"), memo="收到投资款"),
        journal("J2", "2026-01-20", ("5602", "debit", "30.00"), ("100202", "credit", "30.00"), memo="支付办公费"),
        journal("J3", "2026-02-03", ("1122", "debit", "200.00", c01), ("5001", "credit", "200.00")),
        journal("J4", "2026-02-15", ("100201", "debit", "200.00"), ("1122", "credit", "200.00", c01)),
        journal("J5", "2026-03-10", ("1002", "debit", "50.00"), ("3001", "credit", "50.00")),
        journal("J7", "2026-02-20", ("1122", "debit", "80.00", c02), ("5001", "credit", "80.00")),
        journal("J6", "2026-01-10", ("100202", "debit", "10.00"), ("3001", "credit", "10.00"), memo="补记利息"),
    ]:
        assert post_json(doc).posted
    return company
