"""Units of measure on document lines (contract section 2, "Units")."""
from stockbook.core.errors import DocError
from stockbook.core.money import to_qty_units

from ..fields import MISSING, get


def base_qty(books, item, line: dict, qty) -> tuple[str, int]:
    """(unit name, quantity in 1/10000 base units) for a line's qty in its optional ``uom``."""
    uom = get(line, "uom")
    if uom is MISSING or uom == item.uom:
        return item.uom, to_qty_units(qty)
    if not isinstance(uom, str):
        raise DocError("invalid_value", "计量单位 uom 必须是字符串", field="uom")
    factor = books.item_units(item).get(uom)
    if factor is None:
        raise DocError("unknown_unit", f"存货 {item.code} 没有计量单位 {uom}", field="uom")
    base = qty * factor
    units = base * 10000
    if units != units.to_integral_value():
        raise DocError("invalid_value", f"换算为基本单位后数量 {base} 超过四位小数", field="qty")
    return uom, int(units)
