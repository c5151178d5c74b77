"""Cell values and the xlsx reader."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from stockbook.external import tables
from stockbook.external.values import BadValue, account_code, decimal, money_fen, text, to_date, voucher_no

from .conftest import xlsx_bytes


@pytest.mark.parametrize("raw, want", [
    ("1,234.50", Decimal("1234.50")), ("１２３", Decimal("123")), ("(1,234.50)", Decimal("-1234.50")), ("12-", Decimal("-12")),
    ("¥ 5", Decimal("5")), ("'100", Decimal("100")), (1405, Decimal(1405)), (0.1, Decimal("0.1")), ("", None), (None, None)])
def test_decimal(raw, want):
    assert decimal(raw) == want


@pytest.mark.parametrize("raw", ["1.4E+2", "abc", "1.2.3", "--5", True])
def test_decimal_refuses(raw):
    with pytest.raises(BadValue):
        decimal(raw)


def test_money():
    assert money_fen("25,000.00") == 2500000 and money_fen(None) == 0 and money_fen(1234.5000000001) == 123450
    with pytest.raises(BadValue):
        money_fen("1.234")


@pytest.mark.parametrize("raw, want", [
    ("2026-01-05", date(2026, 1, 5)), ("2026/1/5", date(2026, 1, 5)), ("2026.1.5", date(2026, 1, 5)), ("20260105", date(2026, 1, 5)),
    ("2026年1月5日", date(2026, 1, 5)), ("01-05-2026", date(2026, 1, 5)), (46027, date(2026, 1, 5)), (46027.75, date(2026, 1, 5)),
    ("2026/1/5 14:03", date(2026, 1, 5)), (datetime(2026, 1, 5, 9), date(2026, 1, 5)), ("２０２６－０１－０５", date(2026, 1, 5))])
def test_dates(raw, want):
    assert to_date(raw) == want


@pytest.mark.parametrize("raw", ["2026-02-30", "任意时间", "5/1", 12])
def test_bad_dates(raw):
    with pytest.raises(BadValue):
        to_date(raw)


@pytest.mark.parametrize("raw, want", [
    (1405.0, "1405"), (6601.3, "660130"), ("2202.01", "220201"), ("6601.03.01", "66010301"), ("1405 库存商品", "1405"),
    ("220201_应付账款", "220201"), ("'1405", "1405"), ("1405.0", "1405"), (" 5602 ", "5602"), ("54010001 主营业务成本_销售成本", "54010001")])
def test_account_codes(raw, want):
    assert account_code(raw) == want


@pytest.mark.parametrize("raw, word, want", [
    ("记 - 1", "", ("记", 1, None)), ("记-0001", "", ("记", 1, None)), (3.0, "收", ("收", 3, None)), ("7", "", ("记", 7, None)),
    ("记-2026-01-0003", "", ("记", 3, 202601)), ("", "", None), ("abc-x", "", None)])
def test_voucher_numbers(raw, word, want):
    assert voucher_no(raw, word) == want


def test_text_cleaning():
    assert text("库存\r\n商品_x000D_") == "库存  商品" and text("'R-001") == "R-001" and text(1405.0) == "1405"


def test_fast_xlsx_reader_agrees_with_openpyxl(monkeypatch):
    rows = [["标题"], [], ["日期", "编码", "数量", "布尔", None, "远列"], [datetime(2026, 1, 5), "A001", 12.5, True, None, "x"],
            [None, "中文", 1405, False, None, None]]
    data = xlsx_bytes(rows, title="S1", extra_sheets=[("t_Schema", [["FType"]]), ("S2", [["a", 1]])])
    fast = tables._xlsx_fast(data)
    slow = tables._xlsx_openpyxl(data)
    assert [n for n, _ in fast] == [n for n, _ in slow] == ["S1", "S2"]

    def norm(sheet):  # openpyxl pads rows and turns date cells into datetimes; compare the content
        out = []
        for r in sheet:
            r = [c for c in r]
            while r and r[-1] is None:
                r.pop()
            out.append([to_date(c) if i == 0 and isinstance(c, (datetime, int, float)) else c for i, c in enumerate(r)])
        return out
    assert norm(fast[0][1]) == norm(slow[0][1])
    assert fast[1][1] == [["a", 1]]
    monkeypatch.setattr(tables, "_xlsx_openpyxl", lambda data: pytest.fail("fell back to openpyxl"))
    assert tables.read_sheets(data)[0][0] == "S1"
