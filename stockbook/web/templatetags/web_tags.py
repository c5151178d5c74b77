"""Small template helpers: money in 分 → "1,234.50", nav links that know when they are active."""
from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils.html import format_html

from stockbook.core.money import from_fen, from_qty_units

register = template.Library()


@register.filter
def money(fen, blank_zero=False):
    """Integer 分 → '1,234.50' ('' for None, and for 0 when blank_zero)."""
    if fen is None or fen == "":
        return ""
    if blank_zero and int(fen) == 0:
        return ""
    return f"{from_fen(int(fen)):,.2f}"


@register.filter
def yuan(value):
    """A Decimal or decimal text in yuan → '1,234.50'."""
    if value in (None, ""):
        return ""
    try:
        return f"{Decimal(str(value).replace(',', '')):,.2f}"
    except Exception:
        return value


@register.filter
def qty(units):
    """Integer 1/10000 units → '12.5'."""
    if units is None:
        return ""
    d = from_qty_units(units)
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))


@register.filter
def period(p):
    """YYYYMM int → 'YYYY-MM'."""
    if not p:
        return ""
    return f"{int(p) // 100:04d}-{int(p) % 100:02d}"


@register.simple_tag(takes_context=True)
def navlink(context, url_name, label, exact=False, kind=None, arg=None):
    url = reverse(url_name, kwargs={"kind": kind} if kind else None, args=[arg] if arg else None)
    path = context["request"].path
    active = path == url if (exact or url == "/") else path.startswith(url)
    if active:
        return format_html('<a href="{}" class="active" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.filter
def get(mapping, key):
    """``{{ d|get:key }}``: a dict value by a variable key ('' when missing)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
