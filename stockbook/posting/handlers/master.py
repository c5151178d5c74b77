"""Master data documents: company, warehouse, item, supplier, customer, account (contract section 2)."""
import re
from decimal import Decimal

from stockbook.core.errors import DocError
from stockbook.core.money import parse_money, parse_number, parse_qty, parse_rate, to_fen, to_qty_units
from stockbook.ledger.charts import CHARTS, SUB_ACCOUNTS
from stockbook.ledger.models import Account
from stockbook.ledger.roles import account_for
from stockbook.masterdata.models import Barcode, Category, Company, Customer, Item, ItemUnit, Region, Supplier, Warehouse

from stockbook.stock.service import create_item_state

from ..fields import MISSING, get, opt_int, opt_str, parse_period, req_str

COSTING = {"fifo", "moving_average", "monthly_average"}


def company(ctx):
    o = ctx.obj
    code = req_str(o, "code", "公司编码")
    name = req_str(o, "name", "公司名称")
    chart = get(o, "chart")
    if chart not in CHARTS:
        raise DocError("invalid_value", "会计准则 chart 必须是 small_enterprise 或 enterprise", field="chart")
    method = get(o, "costing_method")
    if method not in COSTING:
        raise DocError("invalid_value", "存货计价方法必须是 fifo、moving_average 或 monthly_average（不允许后进先出）", field="costing_method")
    start = parse_period(get(o, "start_period"), "start_period")
    currency = get(o, "currency")
    if currency is not MISSING and currency != "CNY":
        raise DocError("invalid_value", "本位币只支持人民币 CNY", field="currency")
    tax_id = opt_str(o, "tax_id", "纳税人识别号", 32) or ""
    ctx.identity = "company"

    def write(doc):
        Company.objects.create(code=code, name=name, chart=chart, costing_method=method, start_period=start, tax_id=tax_id)
        install_chart(chart)
        ctx.books.clear()
        return []

    return write


def install_chart(chart: str):
    """Create the chart's first-level accounts and the contract's six sub-accounts."""
    accounts = {}
    for code, (name, category, direction) in CHARTS[chart].items():
        accounts[code] = Account.objects.create(code=code, name=name, level=1, category=category, direction=direction, builtin=True)
    for code, (name, parent) in SUB_ACCOUNTS.items():
        p = accounts[parent]
        Account.objects.create(code=code, name=name, parent=p, level=2, category=p.category, direction=p.direction, builtin=True)


def _region(o):
    name = opt_str(o, "region", "区域", 100)
    if not name:
        return None
    region, _ = Region.objects.get_or_create(code=name, defaults={"name": name})
    return region


def warehouse(ctx):
    o = ctx.obj
    code = req_str(o, "code", "仓库编码")
    name = req_str(o, "name", "仓库名称")
    region = _region(o)
    address = opt_str(o, "address", "地址") or ""

    def write(doc):
        Warehouse.objects.create(code=code, name=name, region=region, address=address)
        ctx.books.forget(Warehouse, code)

    return write


def item(ctx):
    o, books = ctx.obj, ctx.books
    code = req_str(o, "code", "存货编码")
    name = req_str(o, "name", "存货名称")
    uom = req_str(o, "uom", "基本单位")
    units = {}
    raw_units = get(o, "units")
    if raw_units is not MISSING:
        if not isinstance(raw_units, dict):
            raise DocError("invalid_value", "units 必须是对象，例如 {\"t\": \"1000\"}", field="units")
        for uname, factor in raw_units.items():
            if not uname.strip() or uname == uom:
                raise DocError("invalid_value", f"计量单位名称无效：{uname!r}", field="units")
            f = parse_number(factor, f"units.{uname}")
            if f <= 0 or f > Decimal("1000000000"):
                raise DocError("invalid_value", f"单位 {uname} 的换算率必须大于 0", field="units")
            units[uname] = f
    tax_rate = parse_rate(o["tax_rate"]) if get(o, "tax_rate") is not MISSING else None
    acc_code = get(o, "account")
    if acc_code is MISSING:
        acc_code = account_for("inventory", books.chart)
    elif not isinstance(acc_code, str) or not acc_code:
        raise DocError("invalid_value", "存货科目 account 必须是科目编码字符串", field="account")
    account = books.account(acc_code)
    if account is None:
        raise DocError("unknown_account", f"存货科目 {acc_code} 不存在", field="account")
    method = get(o, "costing_method")
    if method is not MISSING and method not in COSTING:
        raise DocError("invalid_value", "存货计价方法必须是 fifo、moving_average 或 monthly_average（不允许后进先出）", field="costing_method")
    spec = opt_str(o, "spec", "规格型号") or ""
    category_name = opt_str(o, "category", "分类", 100)
    product_line = opt_str(o, "product_line", "产品线", 100) or ""
    barcodes = get(o, "barcodes")
    if barcodes is MISSING:
        barcodes = []
    elif not isinstance(barcodes, list) or not all(isinstance(b, str) and b.strip() for b in barcodes):
        raise DocError("invalid_value", "barcodes 必须是条码字符串数组", field="barcodes")
    elif Barcode.objects.filter(code__in=barcodes).exists() or len(set(barcodes)) != len(barcodes):
        raise DocError("duplicate_ref", "条码已被其他存货使用", field="barcodes")
    smin = parse_qty(o["safety_min"], "safety_min", allow_zero=True) if get(o, "safety_min") is not MISSING else None
    smax = parse_qty(o["safety_max"], "safety_max", allow_zero=True) if get(o, "safety_max") is not MISSING else None
    if smin is not None and smax is not None and smin > smax:
        raise DocError("invalid_value", "安全库存下限不能大于上限", field="safety_max")

    def write(doc):
        category = None
        if category_name:
            category, _ = Category.objects.get_or_create(code=category_name, defaults={"name": category_name, "product_line": product_line})
        it = Item.objects.create(
            code=code, name=name, uom=uom, tax_rate=tax_rate, account=account, costing_method=method if method is not MISSING else "",
            spec=spec, category=category, safety_min=to_qty_units(smin) if smin is not None else None,
            safety_max=to_qty_units(smax) if smax is not None else None,
        )
        ItemUnit.objects.bulk_create([ItemUnit(item=it, name=n, factor=f) for n, f in units.items()])
        create_item_state(it, it.costing_method or books.company.costing_method)
        Barcode.objects.bulk_create([Barcode(item=it, code=b) for b in barcodes])
        books.forget(Item, code)

    return write


def _party(ctx, model, label):
    o = ctx.obj
    code = req_str(o, "code", f"{label}编码")
    name = req_str(o, "name", f"{label}名称")
    fields = {
        "tax_id": opt_str(o, "tax_id", "纳税人识别号", 32) or "",
        "contact": opt_str(o, "contact", "联系人", 100) or "",
        "phone": opt_str(o, "phone", "电话", 50) or "",
        "address": opt_str(o, "address", "地址") or "",
        "payment_terms": opt_int(o, "payment_terms", minimum=0, maximum=3650),
        "region": _region(o),
    }
    if model is Customer and get(o, "credit_limit") is not MISSING:
        fields["credit_limit"] = to_fen(parse_money(o["credit_limit"], "credit_limit", allow_zero=True))

    def write(doc):
        model.objects.create(code=code, name=name, **fields)
        ctx.books.forget(model, code)

    return write


def supplier(ctx):
    return _party(ctx, Supplier, "供应商")


def customer(ctx):
    return _party(ctx, Customer, "客户")


_SUB = re.compile(r"[0-9]{2}")


def account(ctx):
    o, books = ctx.obj, ctx.books
    code = req_str(o, "code", "科目编码")
    name = req_str(o, "name", "科目名称")
    parent_code = req_str(o, "parent", "上级科目")
    parent = books.account(parent_code)
    if parent is None:
        raise DocError("unknown_account", f"上级科目 {parent_code} 不存在", field="parent")
    if not (code.startswith(parent.code) and len(code) == len(parent.code) + 2 and _SUB.fullmatch(code[-2:])):
        raise DocError("invalid_value", f"明细科目编码应为上级科目编码 {parent.code} 加两位数字", field="code")
    dims = opt_str(o, "dimensions", "辅助核算", 100) or ""

    def write(doc):
        Account.objects.create(
            code=code, name=name, parent=parent, level=parent.level + 1, category=parent.category,
            direction=parent.direction, dimensions=dims,
        )
        books.forget(Account, code)

    return write
