"""Exact numbers. Money is Decimal rounded half-up to 0.01 and stored as integer 分; quantities are stored
as integer 1/10000 units. Never a float: a JSON float literal is rejected as ``invalid_value``.
"""
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import DocError

CENT = Decimal("0.01")
QTY_SCALE = 10000  # stored quantity unit = 1/10000 of a base unit
MAX_MONEY = Decimal("999999999999.99")  # about one trillion yuan: anything above is absurd
MAX_QTY = Decimal("999999999999.9999")
_NUM = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class JFloat(str):
    """A JSON number literal with a fraction or exponent, kept as its text (never a float)."""


def parse_number(value, field: str = "") -> Decimal:
    """A contract number: a JSON integer or a string matching ``-?[0-9]+(\\.[0-9]+)?``."""
    if isinstance(value, bool) or isinstance(value, JFloat):
        raise DocError("invalid_value", f"字段 {field} 不是有效数字：{value!s}", field=field)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _NUM.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            pass
    raise DocError("invalid_value", f"字段 {field} 不是有效数字：{value!r}", field=field)


def decimals(d: Decimal) -> int:
    """Significant decimal places (trailing zeros do not count)."""
    if d == d.to_integral_value():
        return 0
    return -d.normalize().as_tuple().exponent


def parse_money(value, field: str = "amount", *, allow_zero=False, allow_negative=False) -> Decimal:
    d = parse_number(value, field)
    if decimals(d) > 2:
        raise DocError("invalid_value", f"金额 {field} 最多两位小数：{value}", field=field)
    _check_range(d, field, allow_zero, allow_negative, MAX_MONEY)
    return d.quantize(CENT)


def parse_qty(value, field: str = "qty", *, allow_zero=False) -> Decimal:
    d = parse_number(value, field)
    if decimals(d) > 4:
        raise DocError("invalid_value", f"数量 {field} 最多四位小数：{value}", field=field)
    _check_range(d, field, allow_zero, False, MAX_QTY)
    return d


def parse_price(value, field: str = "unit_price", *, allow_zero=False) -> Decimal:
    d = parse_number(value, field)
    _check_range(d, field, allow_zero, False, MAX_MONEY)
    return d


def parse_rate(value, field: str = "tax_rate") -> Decimal:
    d = parse_number(value, field)
    if not (Decimal(0) <= d < 1):
        raise DocError("invalid_value", f"税率 {field} 须在 0 与 1 之间：{value}", field=field)
    return d


def _check_range(d, field, allow_zero, allow_negative, maximum):
    if d < 0 and not allow_negative:
        raise DocError("invalid_value", f"字段 {field} 不能为负数", field=field)
    if d == 0 and not allow_zero:
        raise DocError("invalid_value", f"字段 {field} 必须大于 0", field=field)
    if abs(d) > maximum:
        raise DocError("invalid_value", f"字段 {field} 数值过大", field=field)


def round2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(d: Decimal) -> int:
    """Money → integer 分 (the value must already be exact to the cent)."""
    q = d.quantize(CENT, rounding=ROUND_HALF_UP)
    assert q == d, f"{d} is not exact to the cent"
    return int(q * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(CENT)


def to_qty_units(d: Decimal) -> int:
    v = d * QTY_SCALE
    if v != v.to_integral_value():
        raise DocError("invalid_value", f"数量 {d} 超过四位小数")
    return int(v)


def from_qty_units(n: int) -> Decimal:
    return Decimal(int(n)) / QTY_SCALE


def fmt_money(d) -> str:
    """Reports write money with exactly two decimals."""
    if isinstance(d, int):
        d = from_fen(d)
    return str(Decimal(d).quantize(CENT))


def fmt_qty(d) -> str:
    """Reports write quantities without trailing zeros: "95", "0.333"."""
    if isinstance(d, int):
        d = from_qty_units(d)
    d = Decimal(d)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")
