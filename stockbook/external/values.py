"""Cell values of external files → exact Stockbook values.

Every function takes what a reader gives (str, int, float from openpyxl, datetime, None) and returns a
clean value or raises ``BadValue`` with a Chinese sentence. Numbers become ``Decimal`` from their text
(a float cell is read through ``repr``, the shortest text that round-trips, never through arithmetic).
"""
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
_NUM = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_JUNK = ("_x000D_", "\r", "\n", "\t", "\u200b", "\ufeff")


class BadValue(ValueError):
    def __init__(self, message, code="invalid_value"):
        super().__init__(message)
        self.code = code
        self.message = message


def text(v) -> str:
    """A cell as clean text: NFKC (full-width → half-width), no line breaks, no leading apostrophe,
    stripped. A float that is a whole number loses its ``.0`` (Excel turned a code into a number)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (datetime, date)):
        return v.date().isoformat() if isinstance(v, datetime) else v.isoformat()
    s = str(v)
    for j in _JUNK:
        if j in s:
            s = s.replace(j, "" if j == "_x000D_" else " ")
    s = unicodedata.normalize("NFKC", s).strip()
    while s.startswith("'"):
        s = s[1:].lstrip()
    return s


def header(v) -> str:
    """A header cell for matching: text(), lower case, no spaces, no required-marker ``*``, without a
    云星空 ``(单据头)``/``(分录)`` prefix."""
    s = text(v).lower().replace(" ", "").replace("*", "")
    s = re.sub(r"^\((单据头|分录|单据体)\)", "", s)
    return s


def decimal(v, what="数值") -> Decimal | None:
    """A number or None for an empty cell. Accepts thousands separators, ¥, a trailing or leading sign,
    parentheses for negatives; refuses anything else (``1.4E+2``, ``abc``)."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise BadValue(f"{what}不是数字：{v}")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise BadValue(f"{what}不是数字")
        return Decimal(repr(v)) if "e" not in repr(v).lower() else Decimal(format(v, "f"))
    if isinstance(v, Decimal):
        return v
    s = text(v)
    if s == "" or s in ("-", "--"):
        return None
    neg = False
    if s.startswith("(") and s.endswith(")"):
        neg, s = True, s[1:-1]
    s = s.replace(",", "").replace(" ", "").replace("¥", "").replace("￥", "")
    if s.endswith("-") and _NUM.fullmatch(s[:-1]):
        neg, s = not neg, s[:-1]
    if s.startswith("+"):
        s = s[1:]
    if not _NUM.fullmatch(s):
        raise BadValue(f"{what}不是有效数字：{text(v)[:40]}")
    try:
        d = Decimal(s)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise BadValue(f"{what}不是有效数字：{text(v)[:40]}")
    return -d if neg else d


def _places(d: Decimal) -> int:
    if d == d.to_integral_value():
        return 0
    return -d.normalize().as_tuple().exponent


def money_fen(v, what="金额") -> int:
    """Money → integer 分 (empty = 0). More than two decimals is refused, except the binary noise of a
    float cell (1234.5000000001), which is within 10⁻⁶ of a cent."""
    d = decimal(v, what)
    if d is None:
        return 0
    q = d.quantize(CENT)
    if _places(d) > 2:
        if isinstance(v, float) and abs(d - q) < Decimal("0.000001"):
            d = q
        else:
            raise BadValue(f"{what}最多两位小数：{text(v)[:40]}")
    if abs(q) > Decimal("999999999999.99"):
        raise BadValue(f"{what}数值过大：{text(v)[:40]}")
    return int(q * 100)


def qty_units(d: Decimal, what="数量") -> int:
    """A quantity (already converted to base units) → integer 1/10000 units."""
    v = d * 10000
    if v != v.to_integral_value():
        if abs(v - v.to_integral_value()) < Decimal("0.0001"):  # float noise of an xlsx cell
            v = v.to_integral_value()
        else:
            raise BadValue(f"{what}最多四位小数：{d}")
    if abs(v) > Decimal("9999999999999999"):
        raise BadValue(f"{what}数值过大：{d}")
    return int(v)


_DATE_RES = [
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?(?: .*)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
]
_MDY = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
EXCEL_EPOCH = date(1899, 12, 30)


def to_date(v) -> date | None:
    """A date cell: a date/datetime, an Excel serial number, or text 2026-01-05, 2026/1/5, 2026.1.5,
    20260105, 2026年1月5日, 01-05-2026 (MM-dd-yyyy, K/3 demo). None for an empty cell."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 20000 < v < 80000:
            return EXCEL_EPOCH + timedelta(days=int(v))
        if isinstance(v, int) and 19000101 <= v <= 29991231:
            v = str(v)
        else:
            raise BadValue(f"日期无法识别：{v}")
    s = text(v)
    if not s:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", s) and 20000 < float(s.split(".")[0]) < 80000:
        return EXCEL_EPOCH + timedelta(days=int(s.split(".")[0]))
    y = m = d = None
    for rx in _DATE_RES:
        mt = rx.fullmatch(s)
        if mt:
            y, m, d = (int(x) for x in mt.groups())
            break
    else:
        mt = _MDY.fullmatch(s)
        if mt:
            m, d, y = (int(x) for x in mt.groups())
    if y is None:
        raise BadValue(f"日期无法识别：{s[:40]}")
    try:
        return date(y, m, d)
    except ValueError:
        raise BadValue(f"日期无效：{s[:40]}")


_CODE_HEAD = re.compile(r"([0-9][0-9.]*)(?:[ _\-]+.*|[^\x00-\x7f].*)?")


def account_code(v) -> str:
    """An external account code → Stockbook's undotted code.

    ``1405.0`` (Excel made a number of it) → 1405; ``6601.3`` (a number that was 6601.30) → 660130;
    dotted 金蝶 codes ``2202.01`` / ``6601.03.01`` → 220201 / 66010301 (segments after the first are two
    digits); 精斗云 ``1405 库存商品`` / ``220201_应付账款`` → the code part."""
    if isinstance(v, float):
        d = Decimal(repr(v))
        if d == d.to_integral_value():
            return str(int(d))
        whole, frac = repr(v).split(".")
        return whole + frac.ljust(2, "0")
    s = text(v)
    if not s:
        return ""
    m = _CODE_HEAD.fullmatch(s)
    if not m:
        return s
    code = m.group(1).rstrip(".")
    parts = code.split(".")
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2 and set(parts[1]) == {"0"}:
        return parts[0]  # 1405.0 as text (a CSV re-saved from Excel)
    return parts[0] + "".join(p.rjust(2, "0") if len(p) < 2 else p for p in parts[1:])


_VNO = re.compile(r"([^\d\s\-#]*)\s*[-#]?\s*(?:(\d{4})-(\d{1,2})-)?0*(\d+)")


def voucher_no(v, word="") -> tuple[str, int, int | None] | None:
    """(word, number, period or None) of an external voucher number: ``记 - 1``, ``记-0001``, ``记-9``,
    ``1`` (with the word in its own column), Stockbook's own ``记-2026-01-0001``."""
    s = text(v).replace(" ", "")
    if not s:
        return None
    m = _VNO.fullmatch(s)
    if not m:
        return None
    w = m.group(1) or text(word) or "记"
    period = int(m.group(2)) * 100 + int(m.group(3)) if m.group(2) else None
    return w, int(m.group(4)), period
