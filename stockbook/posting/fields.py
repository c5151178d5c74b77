"""Field readers for documents: each returns a clean value or raises the contract's error code.
They are checked in the contract's field order by the handlers (section 6, step 6)."""
import re
from datetime import date, time

from stockbook.core.errors import DocError
from stockbook.core.money import JFloat, parse_money, parse_price, parse_qty, parse_rate  # noqa: F401

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}")
_PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}")

MISSING = object()


def get(obj: dict, key: str):
    """The field's value, or MISSING when absent or null (null counts as absent)."""
    v = obj.get(key)
    return MISSING if v is None else v


def req_str(obj, key, label=None) -> str:
    v = get(obj, key)
    if v is MISSING or not isinstance(v, str) or isinstance(v, JFloat) or not v.strip():
        raise DocError("invalid_value", f"缺少{label or key}或不是非空字符串", field=key)
    if len(v) > 200:
        raise DocError("invalid_value", f"{label or key} 过长", field=key)
    return v


def opt_str(obj, key, label=None, max_len=200) -> str | None:
    v = get(obj, key)
    if v is MISSING:
        return None
    if not isinstance(v, str) or isinstance(v, JFloat):
        raise DocError("invalid_value", f"{label or key} 必须是字符串", field=key)
    if len(v) > max_len:
        raise DocError("invalid_value", f"{label or key} 过长", field=key)
    return v


def parse_date(v, key="date") -> date:
    if isinstance(v, str) and not isinstance(v, JFloat) and _DATE.fullmatch(v):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise DocError("invalid_value", f"日期格式应为 YYYY-MM-DD：{v!r}", field=key)


def parse_time(v, key="time") -> time:
    if isinstance(v, str) and not isinstance(v, JFloat) and _TIME.fullmatch(v):
        try:
            return time.fromisoformat(v)
        except ValueError:
            pass
    raise DocError("invalid_value", f"时间格式应为 HH:MM:SS：{v!r}", field=key)


def parse_period(v, key="period") -> int:
    """'YYYY-MM' → YYYYMM."""
    if isinstance(v, str) and not isinstance(v, JFloat) and _PERIOD.fullmatch(v):
        y, m = int(v[:4]), int(v[5:])
        if 1 <= m <= 12 and y >= 1:
            return y * 100 + m
    raise DocError("invalid_value", f"期间格式应为 YYYY-MM：{v!r}", field=key)


def req_list(obj, key, label=None) -> list:
    v = get(obj, key)
    if not isinstance(v, list) or not v:
        raise DocError("invalid_value", f"{label or key} 必须是非空数组", field=key)
    return v


def req_obj(v, key) -> dict:
    if not isinstance(v, dict):
        raise DocError("invalid_value", f"{key} 的每一项必须是对象", field=key)
    return v


def opt_int(obj, key, *, minimum=0, maximum=100000) -> int | None:
    v = get(obj, key)
    if v is MISSING:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not (minimum <= v <= maximum):
        raise DocError("invalid_value", f"{key} 必须是 {minimum} 到 {maximum} 之间的整数", field=key)
    return v


def period_of(d: date) -> int:
    return d.year * 100 + d.month


def period_str(p: int) -> str:
    return f"{p // 100:04d}-{p % 100:02d}"
