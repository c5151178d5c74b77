from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbook.core.errors import DocError
from stockbook.core.jsonio import canonical, loads
from stockbook.core.money import fmt_money, fmt_qty, from_fen, parse_money, parse_qty, parse_rate, round2, to_fen


@pytest.mark.parametrize("raw", ["1.4E+2", "", " 5", "５", "+5", "1,000.00", "1.", ".5", "5 ", "0x10", "1e3", "NaN", "٣"])
def test_malformed_numbers_are_invalid(raw):
    with pytest.raises(DocError) as e:
        parse_money(raw)
    assert e.value.code == "invalid_value"


def test_json_float_literal_is_invalid():
    obj = loads('{"amount": 1.5, "n": 5}')
    with pytest.raises(DocError):
        parse_money(obj["amount"])
    assert parse_money(obj["n"]) == Decimal("5.00")


def test_money_rules():
    assert parse_money("1.50000") == Decimal("1.50")  # trailing zeros do not count
    with pytest.raises(DocError):
        parse_money("1.505")  # a third decimal
    with pytest.raises(DocError):
        parse_money("0")
    assert parse_money("0", allow_zero=True) == 0
    with pytest.raises(DocError):
        parse_money("-1")
    with pytest.raises(DocError):
        parse_money("99999999999999999999")  # absurd
    with pytest.raises(DocError):
        parse_money(True)


def test_qty_and_rate_rules():
    assert parse_qty("0.3330") == Decimal("0.3330")
    with pytest.raises(DocError):
        parse_qty("0.00001")
    assert parse_rate("0.13") == Decimal("0.13")
    for bad in ("1", "1.0", "-0.01"):
        with pytest.raises(DocError):
            parse_rate(bad)


def test_round_half_up_and_formats():
    assert round2(Decimal("0.125")) == Decimal("0.13")
    assert round2(Decimal("-0.125")) == Decimal("-0.13")
    assert round2(Decimal("20391.1070874")) == Decimal("20391.11")
    assert fmt_qty(Decimal("95.0000")) == "95"
    assert fmt_qty(Decimal("0.3330")) == "0.333"
    assert fmt_money(12345) == "123.45"
    assert fmt_money(-5) == "-0.05"


@given(st.integers(min_value=-10**14, max_value=10**14))
def test_fen_roundtrip(n):
    assert to_fen(from_fen(n)) == n


def test_canonical_compares_text_and_types():
    a = loads('{"b": "10", "a": 5, "c": null}')
    b = loads('{"a": 5, "b": "10"}')
    assert canonical(a) == canonical(b)
    assert canonical(loads('{"a": 5}')) != canonical(loads('{"a": 5.0}'))
    assert canonical(loads('{"a": true}')) != canonical(loads('{"a": 1}'))
    assert canonical(loads('{"a": "10"}')) != canonical(loads('{"a": "10.0"}'))
