"""Generate the demo company's interchange documents (contract sections 2 and 3), in posting order.

``documents()`` yields plain dicts, exactly as a JSONL file would hold them: master data, openings,
then month by month that month's documents and, for every month before the current one, its
``period_close``. Randomness comes from ``random.Random`` seeded per purpose with a fixed seed, so the
same documents come out on every run (the loader's idempotence rests on that).

The month's manual vouchers come from the generators in ``MONTHLY`` (in date order); its business
documents — purchases, sales, returns, transfers, counts, scrap, receipts and payments — from the day-by-day
simulation in ``business.Business``, in posting order (a late entry, 补单, is posted after documents dated
after it). Both share ``State``: the bank balances, and the VAT the journals set off and pay each month.
"""
import calendar
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from . import data

CENT = Decimal("0.01")


def money(d) -> str:
    return str(Decimal(d).quantize(CENT, rounding=ROUND_HALF_UP))


def fen(d) -> int:
    return int((Decimal(d) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(f: int) -> str:
    sign = "-" if f < 0 else ""
    f = abs(f)
    return f"{sign}{f // 100}.{f % 100:02d}"


def rng(*purpose) -> random.Random:
    return random.Random(":".join(map(str, (data.SEED, *purpose))))


def qty_text(q: Decimal) -> str:
    s = format(q.normalize(), "f")
    return s


# -- master data -------------------------------------------------------------------------------
def company():
    return dict(data.COMPANY)


def master_documents():
    yield company()
    for code, name, parent in data.ACCOUNTS:
        yield {"type": "account", "code": code, "name": name, "parent": parent}
    for code, name, region, address in data.WAREHOUSES:
        yield {"type": "warehouse", "code": code, "name": name, "region": region, "address": address}
    for n, (code, name, spec, cat, uom, units, _cost, (smin, smax), extra) in enumerate(data.ITEMS, 1):
        doc = {"type": "item", "code": code, "name": name, "spec": spec, "category": cat,
               "product_line": data.PRODUCT_LINES[cat], "uom": uom}
        if units:
            doc["units"] = dict(units)
        doc["tax_rate"] = "0.13"
        doc["account"] = extra.get("account", "1405")
        if "costing_method" in extra:
            doc["costing_method"] = extra["costing_method"]
        doc["barcodes"] = [data.barcode_of(n)] + ([data.barcode_of(500 + n)] if "箱" in units else [])
        doc["safety_min"] = str(smin)
        doc["safety_max"] = str(smax)
        yield doc
    for s in data.SUPPLIERS:
        yield _party("supplier", *s)
    for c in data.CUSTOMERS:
        doc = _party("customer", *c[:9])
        if c[9] is not None:
            doc["credit_limit"] = c[9]
        yield doc


def _party(typ, code, name, region, area, org, contact, phone, address, terms):
    from .ids import uscc

    return {"type": typ, "code": code, "name": name, "region": region, "tax_id": uscc(area, org),
            "contact": contact, "phone": phone, "address": address, "payment_terms": terms}


# -- openings --------------------------------------------------------------------------------------
MISMATCH_1405 = Decimal("386.40")  # opening 1405 balance minus opening stock value: reconcile's opening_mismatch
MANUAL_1405 = (202606, 18, "1850.00")  # period, day, amount of the manual journal on 1405: reconcile's manual_journal

# which warehouses stock what: every item at 上海总仓, a share at 杭州仓, 广州仓 heavy on plastics
_SHARE = {"SH01": 1.0, "HZ01": 0.6, "GZ01": 0.45}
_BULK_UNITS = {"吨", "卷", "盘"}  # opening quantities of these items are counted in their bulk unit


def opening_stock_documents():
    for wh, _name, _region, _addr in data.WAREHOUSES:
        r = rng("opening_stock", wh)
        lines = []
        for code, _n, _s, cat, uom, units, cost, (smin, smax), _extra in data.ITEMS:
            share = _SHARE[wh] + (0.4 if wh == "GZ01" and cat == "塑料原料" else 0)
            if r.random() >= share:
                continue
            bulk = next((u for u in units if u in _BULK_UNITS), None)
            unit_cost = Decimal(cost) * Decimal(r.choice(["0.97", "0.98", "1", "1", "1.01", "1.03"]))
            if bulk:
                factor = Decimal(units[bulk])
                n = r.randint(max(1, int(smin / factor)), max(2, int(smax * Decimal("0.8") / factor)))
                q = Decimal(n)
                if bulk == "吨":
                    q = Decimal(r.randint(int(smin // 100), int(smax * 8 // 1000))) / 10  # tenths of a ton
                    q = max(q, Decimal("0.5"))
                base = q * factor
                line = {"item": code, "qty": qty_text(q), "uom": bulk}
            else:
                base = Decimal(r.randint(int(smin), int(smax * 0.8)))
                line = {"item": code, "qty": qty_text(base)}
            line["amount"] = money(base * unit_cost)
            lines.append(line)
        yield {"type": "opening_stock", "ref": f"QC-KC-{wh}", "date": data.OPENING_DATE, "warehouse": wh, "lines": lines}


def stock_value_by_account(stock_docs) -> dict[str, int]:
    accounts = {code: extra.get("account", "1405") for code, *_rest, extra in data.ITEMS}
    out: dict[str, int] = {}
    for doc in stock_docs:
        for ln in doc["lines"]:
            acc = accounts[ln["item"]]
            out[acc] = out.get(acc, 0) + fen(ln["amount"])
    return out


class State:
    """Running figures the monthly generators need: last month's payroll, bank and cash balances (分)."""

    def __init__(self):
        self.payroll = None  # last accrued month: dict of amounts in 分
        self.balance = {"1001": 0, "100201": 0, "100202": 0}
        self.biz = None  # the business simulation (business.Business), once the openings are known
        self.vat_settled: set = set()  # periods whose VAT has been set off and paid

    def book(self, lines):
        for ln in lines:
            if ln["account"] in self.balance:
                self.balance[ln["account"]] += fen(ln.get("debit", 0)) - fen(ln.get("credit", 0))


def payroll(period: int, r: random.Random) -> dict:
    """One month's payroll (分): gross wages of sales and admin staff and what is withheld and owed."""
    growth = 1 + (0.03 if period >= 202604 else 0)  # the April pay rise
    sales = int(r.randint(6_650_000, 7_400_000) * growth)
    admin = int(r.randint(5_180_000, 5_320_000) * growth)
    gross = sales + admin
    p = {
        "sales": sales, "admin": admin, "gross": gross,
        "co_social_sales": round(sales * 0.265), "co_social_admin": round(admin * 0.265),
        "co_fund_sales": round(sales * 0.07), "co_fund_admin": round(admin * 0.07),
        "emp_social": round(gross * 0.105), "emp_fund": round(gross * 0.07), "iit": round(gross * 0.023),
    }
    p["net"] = gross - p["emp_social"] - p["emp_fund"] - p["iit"]
    return p


def opening_balance_document(stock_docs, state: State):
    r = rng("opening_balance")
    value = stock_value_by_account(stock_docs)
    lines = [
        {"account": "1001", "debit": "18600.00"},
        {"account": "100201", "debit": "4680000.00"},
        {"account": "100202", "debit": "1150000.00"},
    ]
    for c in data.CUSTOMERS:
        if c[9] is not None and Decimal(c[9]) >= 200000 and r.random() < 0.6:
            lines.append({"account": "112201", "debit": yuan(r.randint(1_800_000, 16_000_000)), "customer": c[0]})
    lines += [
        {"account": "1221", "debit": "96000.00"},  # 仓库、办公室租赁押金
        {"account": "1403", "debit": yuan(value.get("1403", 0))},
        {"account": "1405", "debit": yuan(value.get("1405", 0) + fen(MISMATCH_1405))},
        {"account": "1601", "debit": "486000.00"},
        {"account": "1602", "credit": "132400.00"},
    ]
    for s in data.SUPPLIERS:
        if s[0] not in data.LOGISTICS.values() and r.random() < 0.7:
            lines.append({"account": "220201", "credit": yuan(r.randint(2_500_000, 22_000_000)), "supplier": s[0]})
    nov = payroll(202511, rng("payroll", 202511))
    state.payroll = nov
    lines += [
        {"account": "221101", "credit": yuan(nov["gross"])},
        {"account": "221102", "credit": yuan(nov["co_social_sales"] + nov["co_social_admin"])},
        {"account": "221103", "credit": yuan(nov["co_fund_sales"] + nov["co_fund_admin"])},
        {"account": "3001", "credit": "5000000.00"},
    ]
    debit = sum(fen(ln.get("debit", 0)) for ln in lines)
    credit = sum(fen(ln.get("credit", 0)) for ln in lines)
    rest = debit - credit  # 未分配利润 (3104) carries what is left: a credit if positive
    lines.append({"account": "3104", "credit": yuan(rest)} if rest >= 0 else {"account": "3104", "debit": yuan(-rest)})
    state.book(lines)
    return {"type": "opening_balance", "ref": "QC-YE-2025", "date": data.OPENING_DATE, "lines": lines}


# -- months ----------------------------------------------------------------------------------------
def parse_day(s: str) -> date:
    return date.fromisoformat(s)


def periods(start: str, today: date):
    y, m = map(int, start.split("-"))
    while (y, m) <= (today.year, today.month):
        yield y * 100 + m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def pstr(p: int) -> str:
    return f"{p // 100:04d}-{p % 100:02d}"


def _j(day: date, memo: str, lines: list) -> dict:
    return {"type": "journal", "date": day.isoformat(), "memo": memo, "lines": lines}


def _amount(r, lo_yuan, hi_yuan) -> int:
    """A random amount in 分, whole yuan most of the time (as receipts usually are)."""
    f = r.randint(lo_yuan * 100, hi_yuan * 100)
    return f - f % 100 if r.random() < 0.7 else f


def journal_documents(period: int, state: State, last_day: date, month_end: bool) -> list[dict]:
    """The month's manual vouchers: rent, payroll, social insurance, expenses, fees, depreciation."""
    r = rng("journals", period)
    y, m = divmod(period, 100)
    d = lambda day: date(y, m, day)
    end = date(y, m, calendar.monthrange(y, m)[1])
    out = []
    customers = [c[0] for c in data.CUSTOMERS]
    east = [c[0] for c in data.CUSTOMERS if c[2] == "华东"]

    # 1st: rent (office, and each warehouse's rent as 仓储费 with the warehouse dimension)
    rent = {"office": 3_200_000, "SH01": 4_800_000, "HZ01": 2_600_000, "GZ01": 2_950_000}
    out.append(_j(d(1), f"支付{m}月房租（办公室及各仓库）", [
        {"account": "560203", "debit": yuan(rent["office"])},
        {"account": "560102", "debit": yuan(rent["SH01"]), "warehouse": "SH01"},
        {"account": "560102", "debit": yuan(rent["HZ01"]), "warehouse": "HZ01"},
        {"account": "560102", "debit": yuan(rent["GZ01"]), "warehouse": "GZ01"},
        {"account": "100201", "credit": yuan(rent["office"] + rent["SH01"] + rent["HZ01"])},
        {"account": "100202", "credit": yuan(rent["GZ01"])},
    ]))
    # 3rd: petty cash from the bank when the cash box runs low
    if state.balance["1001"] < 3_000_000:
        top_up = 4_000_000 - state.balance["1001"] // 100_000 * 100_000  # back to about 40,000 yuan
        out.append(_j(d(3), "提取备用金", [{"account": "1001", "debit": yuan(top_up)}, {"account": "100201", "credit": yuan(top_up)}]))
    # 4th: move funds to the 华南 account when it runs low
    if state.balance["100202"] < 30_000_000:
        out.append(_j(d(4), "资金调拨：工行划转建行（华南业务备付）", [
            {"account": "100202", "debit": "500000.00"}, {"account": "100201", "credit": "500000.00"}]))
    # 4th: sweep what 华南 customers paid into the 建行 account back to 工行, keeping about 1.5 million there
    if state.balance["100202"] > 250_000_000:
        sweep = (state.balance["100202"] - 150_000_000) // 10_000_000 * 10_000_000
        out.append(_j(d(4), "资金调拨：建行划转工行（华南回款归集）", [
            {"account": "100201", "debit": yuan(sweep)}, {"account": "100202", "credit": yuan(sweep)}]))
    # June: freight on a cable delivery booked by hand straight to 库存商品 — reconcile shows it as manual_journal
    if period == MANUAL_1405[0]:
        out.append(_j(d(MANUAL_1405[1]), "手工补记运费计入库存商品（苏南电缆 YJV 电缆到货运费）", [
            {"account": "1405", "debit": MANUAL_1405[2], "item": "DL006", "warehouse": "SH01"},
            {"account": "100201", "credit": MANUAL_1405[2]}]))
    # 10th: last month's wages, less withheld social insurance, housing fund and IIT
    p = state.payroll
    if p:
        out.append(_j(d(10), "发放上月工资", [
            {"account": "221101", "debit": yuan(p["gross"])},
            {"account": "221102", "credit": yuan(p["emp_social"])},
            {"account": "221103", "credit": yuan(p["emp_fund"])},
            {"account": "222104", "credit": yuan(p["iit"])},
            {"account": "100201", "credit": yuan(p["net"])},
        ]))
        # 15th: pay social insurance, housing fund (company and employee parts) and the withheld IIT
        social = p["co_social_sales"] + p["co_social_admin"] + p["emp_social"]
        fund = p["co_fund_sales"] + p["co_fund_admin"] + p["emp_fund"]
        out.append(_j(d(15), "缴纳上月社会保险费、住房公积金及代扣个人所得税", [
            {"account": "221102", "debit": yuan(social)},
            {"account": "221103", "debit": yuan(fund)},
            {"account": "222104", "debit": yuan(p["iit"])},
            {"account": "100201", "credit": yuan(social + fund + p["iit"])},
        ]))
    # 15th: VAT of the months before — output set off against input, the rest paid (a credit is carried on)
    if state.biz is not None:
        vat_out = sum(v[0] for p, v in state.biz.vat.items() if p < period and p not in state.vat_settled)
        vat_in = sum(v[1] for p, v in state.biz.vat.items() if p < period and p not in state.vat_settled)
        if vat_out > vat_in > 0:
            out.append(_j(d(15), "结转并缴纳上月增值税", [
                {"account": "222102", "debit": yuan(vat_out)},
                {"account": "222101", "credit": yuan(vat_in)},
                {"account": "100201", "credit": yuan(vat_out - vat_in)},
            ]))
            state.vat_settled |= {p for p in state.biz.vat if p < period}
    # travel claims (差旅费), paid in cash; a visit names the customer
    for _ in range(r.randint(2, 4)):
        cust = r.choice(customers)
        name = next(c[1] for c in data.CUSTOMERS if c[0] == cust)
        amt = _amount(r, 600, 4200)
        out.append(_j(d(r.randint(5, 25)), f"报销差旅费：拜访{name}", [
            {"account": "560202", "debit": yuan(amt), "customer": cust},
            {"account": "1001", "credit": yuan(amt)},
        ]))
    # business entertainment (业务招待费) with a customer
    for _ in range(r.randint(1, 2)):
        cust = r.choice(east if r.random() < 0.7 else customers)
        amt = _amount(r, 800, 3600)
        pay = "1001" if amt < 200_000 else "100201"
        out.append(_j(d(r.randint(6, 24)), "业务招待费", [
            {"account": "560104", "debit": yuan(amt), "customer": cust},
            {"account": pay, "credit": yuan(amt)},
        ]))
    # office supplies
    amt = _amount(r, 900, 4800)
    out.append(_j(d(r.randint(6, 20)), "购买办公用品及打印耗材", [
        {"account": "560201", "debit": yuan(amt)}, {"account": "100201", "credit": yuan(amt)}]))
    # phone and broadband
    amt = _amount(r, 2600, 3400)
    out.append(_j(d(18), "支付通讯费及宽带费", [
        {"account": "560206", "debit": yuan(amt)}, {"account": "100201", "credit": yuan(amt)}]))
    # utilities per warehouse (more in summer), and the office
    summer = 1.35 if m in (6, 7, 8, 9) else 1.0
    util = {wh: int(r.randint(lo, hi) * summer) for wh, lo, hi in
            (("SH01", 580_000, 820_000), ("HZ01", 310_000, 460_000), ("GZ01", 360_000, 540_000))}
    office = int(r.randint(220_000, 300_000) * summer)
    out.append(_j(d(20), "支付水电费", [
        {"account": "560204", "debit": yuan(office)},
        *[{"account": "560204", "debit": yuan(v), "warehouse": wh} for wh, v in util.items()],
        {"account": "100201", "credit": yuan(office + util["SH01"] + util["HZ01"])},
        {"account": "100202", "credit": yuan(util["GZ01"])},
    ]))
    # freight paid to the logistics suppliers, by warehouse
    for wh in ("SH01", "HZ01", "GZ01"):
        amt = _amount(r, 4000, 16000) if wh != "HZ01" else _amount(r, 2000, 8000)
        bank = "100202" if wh == "GZ01" else "100201"
        out.append(_j(d(25), f"支付{m}月运输费", [
            {"account": "560101", "debit": yuan(amt), "supplier": data.LOGISTICS[wh], "warehouse": wh},
            {"account": bank, "credit": yuan(amt)},
        ]))
    # quarterly: trade fair advertising, and bank interest
    if m in (3, 6, 9, 12):
        amt = _amount(r, 12000, 36000)
        out.append(_j(d(12), "参加五金机电展会展位费及宣传资料", [
            {"account": "560103", "debit": yuan(amt)}, {"account": "100201", "credit": yuan(amt)}]))
        interest = r.randint(180_000, 420_000)
        out.append(_j(d(21), "收到银行存款利息", [
            {"account": "100201", "debit": yuan(interest)}, {"account": "560302", "credit": yuan(interest)}]))
    if month_end:
        fee1, fee2 = r.randint(8_000, 32_000), r.randint(5_000, 18_000)
        out.append(_j(end, "银行手续费", [
            {"account": "560301", "debit": yuan(fee1 + fee2)},
            {"account": "100201", "credit": yuan(fee1)},
            {"account": "100202", "credit": yuan(fee2)},
        ]))
        out.append(_j(end, "计提本月固定资产折旧", [
            {"account": "560207", "debit": "5850.00"}, {"account": "1602", "credit": "5850.00"}]))
        p = payroll(period, rng("payroll", period))
        out.append(_j(end, "计提本月工资及社会保险费、住房公积金", [
            {"account": "560105", "debit": yuan(p["sales"] + p["co_social_sales"] + p["co_fund_sales"])},
            {"account": "560205", "debit": yuan(p["admin"] + p["co_social_admin"] + p["co_fund_admin"])},
            {"account": "221101", "credit": yuan(p["gross"])},
            {"account": "221102", "credit": yuan(p["co_social_sales"] + p["co_social_admin"])},
            {"account": "221103", "credit": yuan(p["co_fund_sales"] + p["co_fund_admin"])},
        ]))
        state.payroll = p
    else:
        state.payroll = None
    out = [j for j in out if parse_day(j["date"]) <= last_day]
    out.sort(key=lambda j: j["date"])  # stable: same-day vouchers keep their order
    for n, j in enumerate(out, 1):
        j["ref"] = f"JZ-{period}-{n:03d}"
        state.book(j["lines"])
    # key order as people write it: type, ref, date, memo, lines
    return [{"type": j["type"], "ref": j["ref"], "date": j["date"], "memo": j["memo"], "lines": j["lines"]} for j in out]


# generators of a month's journals, merged in date order
MONTHLY = [journal_documents]


def month_documents(period: int, state: State, last_day: date, month_end: bool) -> list[dict]:
    """The month's journals (in date order) and business documents (in posting order: a late one, 补单,
    comes after documents dated after it), merged by the day each is posted; journals first within a day."""
    docs = []
    for gen in MONTHLY:
        docs += gen(period, state, last_day, month_end)
    docs.sort(key=lambda doc: (doc["date"], doc.get("time", "")))
    posted = [(doc["date"], 0, n, doc) for n, doc in enumerate(docs)]
    if state.biz is not None:
        posted += [(day.isoformat(), 1, n, doc) for n, (day, doc) in enumerate(state.biz.month(period, last_day))]
    posted.sort(key=lambda x: x[:3])
    return [doc for *_k, doc in posted]


def period_close(period: int) -> dict:
    y, m = divmod(period, 100)
    end = date(y, m, calendar.monthrange(y, m)[1])
    return {"type": "period_close", "ref": f"JS-{pstr(period)}", "date": end.isoformat(), "period": pstr(period)}


def documents(today: str = data.TODAY, business: bool = True, state: "State | None" = None):
    """Every demo document in posting order (``business=False``: master data, openings, journals, closes)."""
    today_d = parse_day(today)
    state = state or State()
    yield from master_documents()
    stock = list(opening_stock_documents())
    ob = opening_balance_document(stock, state)
    yield ob
    yield from stock
    if business:
        from .business import Business

        state.biz = Business(stock, ob, state.balance)
    current = today_d.year * 100 + today_d.month
    for p in periods(data.START_PERIOD, today_d):
        y, m = divmod(p, 100)
        end = date(y, m, calendar.monthrange(y, m)[1])
        last_day = min(end, today_d)
        yield from month_documents(p, state, last_day, month_end=(last_day == end))
        if p < current:
            yield period_close(p)
