"""A year of the demo company's business, simulated day by day and written as interchange documents.

``Business`` keeps what a real company's clerks would know — stock on hand per (item, warehouse), what each
receipt and delivery line still has to be invoiced or returned, open invoices, receivables per customer —
and turns each working day into documents: purchase receipts when stock runs low (several lines, bought
in 箱/卷/盘/吨), purchase invoices (per receipt or monthly, some partial, some at another price: 单到补差),
a few purchase returns, sales deliveries with seasonal volume, sales invoices (per delivery or monthly,
some partial, a few with a 折让), sales returns (some of an earlier month's delivery), transfers 华东 → 华南,
quarterly stock counts with their settlement early the next month, scrap, customer receipts allocated
oldest first (and a few prepayments), supplier payments, and a handful of documents entered late (补单):
dated a few days before the documents posted just before them.

Rules the simulation keeps so that every document posts:
- Stock never goes below zero at any point of move order: an issue is taken off the tracked stock on its
  own date even when it is posted late, a receipt is added only when it is posted. Counts take place at a
  month end when no late document is outstanding, so the book quantity they see is the tracked one.
- A line is invoiced or returned only up to what it still has open; a return is held back from invoicing
  until it has happened. Invoices reference only documents already posted and not later than themselves.
- A delivery goes out only within the customer's credit limit (its 1122 balance is tracked exactly).
- Purchase returns only of moving-average items, soon after the receipt, while the warehouse still holds
  the goods. Counts only of items the warehouse holds. Monthly-average count losses are settled the
  following month, once their cost is known.

Randomness comes from one ``random.Random`` with a fixed seed, so the same documents come out every time.
"""
import calendar
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from . import data

D0 = Decimal(0)
CENT = Decimal("0.01")


# -- small helpers -----------------------------------------------------------------------------
def fen_of(x: Decimal) -> int:
    return int((x * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(f: int) -> str:
    sign = "-" if f < 0 else ""
    f = abs(f)
    return f"{sign}{f // 100}.{f % 100:02d}"


def num(q: Decimal) -> str:
    """A quantity or price as the contract writes numbers: no exponent, no trailing zeros."""
    s = format(q.normalize(), "f")
    return s


def net_fen(qty: Decimal, price: Decimal) -> int:
    return fen_of(qty * price)


def tax_fen(net: int, rate=Decimal("0.13")) -> int:
    return int((Decimal(net) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def part_fen(amount: int, q: Decimal, total: Decimal) -> int:
    return int((Decimal(amount) * q / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_text(p: Decimal) -> Decimal:
    """Prices as quoted: 2 decimals, small unit prices to 4."""
    return p.quantize(Decimal("0.0001") if p < 1 else CENT, rounding=ROUND_HALF_UP)


# -- calendar ----------------------------------------------------------------------------------
HOLIDAYS = set()
for a, b in [("2026-01-01", "2026-01-02"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
             ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
             ("2026-10-01", "2026-10-07")]:
    d, e = date.fromisoformat(a), date.fromisoformat(b)
    while d <= e:
        HOLIDAYS.add(d)
        d += timedelta(days=1)


def is_workday(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def month_days(period: int) -> list[date]:
    y, m = divmod(period, 100)
    return [date(y, m, n) for n in range(1, calendar.monthrange(y, m)[1] + 1)]


def workdays(period: int) -> list[date]:
    return [d for d in month_days(period) if is_workday(d)]


def next_period(p: int) -> int:
    y, m = divmod(p, 100)
    return (y + 1) * 100 + 1 if m == 12 else p + 1


def add_workdays(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if is_workday(d):
            n -= 1
    return d


def on_or_after_workday(d: date) -> date:
    while not is_workday(d):
        d += timedelta(days=1)
    return d


# -- the business's plans -------------------------------------------------------------------------
WJ, DL, BZ, SL, LB = "五金", "电线电缆", "包装材料", "塑料原料", "劳保用品"

# seasonal volume per category and month (1.0 = an average month): wire and hardware follow the
# construction seasons (spring, autumn; 春节 in February is dead), packaging peaks before 双十一 and 春节,
# safety supplies in the summer heat and at the year-end 劳保发放
SEASON = {
    DL: {12: .9, 1: .75, 2: .45, 3: 1.2, 4: 1.35, 5: 1.3, 6: 1.0, 7: .85, 8: .85, 9: 1.25, 10: 1.35, 11: 1.2},
    WJ: {12: .95, 1: .8, 2: .5, 3: 1.1, 4: 1.2, 5: 1.15, 6: 1.0, 7: .9, 8: .9, 9: 1.15, 10: 1.2, 11: 1.1},
    BZ: {12: 1.25, 1: 1.35, 2: .5, 3: .85, 4: .9, 5: .95, 6: 1.05, 7: .9, 8: .95, 9: 1.1, 10: 1.45, 11: 1.35},
    SL: {12: 1.0, 1: .95, 2: .6, 3: 1.05, 4: 1.1, 5: 1.05, 6: 1.0, 7: .95, 8: 1.0, 9: 1.1, 10: 1.1, 11: 1.05},
    LB: {12: 1.3, 1: 1.1, 2: .5, 3: .9, 4: .9, 5: 1.0, 6: 1.3, 7: 1.45, 8: 1.35, 9: 1.0, 10: .9, 11: .95},
}
# purchase price level: copper climbs through the year, plastics swing a little
DRIFT = {
    DL: {12: 1.0, 1: 1.01, 2: 1.02, 3: 1.05, 4: 1.07, 5: 1.06, 6: 1.04, 7: 1.03, 8: 1.04, 9: 1.06, 10: 1.08, 11: 1.07},
    SL: {12: 1.0, 1: .98, 2: .99, 3: 1.02, 4: 1.03, 5: 1.01, 6: .99, 7: .97, 8: .98, 9: 1.01, 10: 1.02, 11: 1.0},
}
MARKUP = {WJ: Decimal("1.38"), DL: Decimal("1.20"), BZ: Decimal("1.32"), SL: Decimal("1.10"), LB: Decimal("1.45")}


def season(cat, m) -> float:
    return SEASON[cat][m]


def drift(cat, m) -> Decimal:
    return Decimal(str(DRIFT.get(cat, {}).get(m, 1.0)))


@dataclass
class Customer:
    code: str
    wh: str
    cats: dict  # category → share of what it buys
    budget: int  # yuan of sales in an average month
    monthly_invoice: bool  # one invoice at the month's end (else one per delivery)
    pay_days: tuple  # days of month it pays on
    late: int = 0  # days it pays after the due date
    terms: int = 30
    limit: int | None = None  # credit limit in 分, None: unlimited


# home warehouse, what it buys, monthly budget (yuan), invoicing, pay days, lateness
_CUST = {
    "C001": ("SH01", {WJ: .35, DL: .45, LB: .2}, 180_000, True, (12, 26), 5),
    "C002": ("SH01", {DL: .6, WJ: .4}, 120_000, False, (15,), 0),
    "C003": ("SH01", {WJ: .7, DL: .3}, 50_000, False, (20,), 18),
    "C004": ("HZ01", {DL: .5, WJ: .3, LB: .2}, 140_000, True, (10, 25), 3),
    "C005": ("HZ01", {BZ: .55, SL: .45}, 85_000, False, (18,), 0),
    "C006": ("HZ01", {LB: .4, BZ: .4, WJ: .2}, 90_000, False, (8,), 0),
    "C007": ("SH01", {DL: .8, WJ: .2}, 130_000, True, (22,), 0),
    "C008": ("SH01", {DL: .9, LB: .1}, 200_000, True, (15,), 5),
    "C009": ("SH01", {SL: 1.0}, 60_000, False, (10, 25), 0),
    "C010": ("HZ01", {SL: .9, BZ: .1}, 110_000, False, (8, 22), 0),
    "C011": ("SH01", {WJ: .8, LB: .2}, 12_000, False, (5, 20), 0),
    "C012": ("SH01", {LB: .6, WJ: .4}, 15_000, False, (5,), 0),
    "C013": ("GZ01", {DL: .5, WJ: .3, LB: .2}, 160_000, True, (18,), 7),
    "C014": ("GZ01", {DL: .8, WJ: .2}, 110_000, False, (12, 27), 0),
    "C015": ("GZ01", {DL: .7, BZ: .3}, 85_000, False, (20,), 0),
    "C016": ("GZ01", {SL: 1.0}, 120_000, False, (5, 20), 0),
    "C017": ("GZ01", {SL: .7, BZ: .3}, 130_000, False, (10, 24), 0),
    "C018": ("GZ01", {DL: .6, LB: .4}, 170_000, True, (28,), 12),
    "C019": ("GZ01", {BZ: .5, WJ: .5}, 30_000, False, (18,), 0),
    "C020": ("GZ01", {BZ: 1.0}, 60_000, False, (9, 23), 0),
}
CUSTOMERS = {}
for _c in data.CUSTOMERS:
    _wh, _cats, _budget, _monthly, _pay, _late = _CUST[_c[0]]
    CUSTOMERS[_c[0]] = Customer(_c[0], _wh, _cats, _budget, _monthly, _pay, _late, terms=_c[8],
                                limit=None if _c[9] is None else int(Decimal(_c[9]) * 100))
PREPAY_CUSTOMER = "C012"  # credit limit 0.00: pays in advance and keeps a standing deposit
DEPOSIT = 3_000_000  # 分


@dataclass
class Supplier:
    code: str
    items: list
    whs: tuple
    weekdays: tuple  # days it delivers on (0 = Monday)
    monthly_invoice: bool  # one invoice early next month for all of last month's receipts
    lag: tuple  # (min, max) working days from receipt to invoice
    pay_days: tuple
    terms: int
    bank: str


_SUP = {
    "S001": (["WJ001", "WJ002", "WJ003", "WJ004", "WJ005"], ("SH01", "HZ01"), (0,), False, (3, 10), (20,)),
    "S002": (["WJ006", "WJ007", "WJ008", "WJ009", "WJ010"], ("SH01", "HZ01"), (1,), False, (3, 10), (20,)),
    "S003": (["DL001", "DL002", "DL003", "DL005", "DL007"], ("SH01", "HZ01"), (0, 3), True, (0, 0), (15,)),
    "S004": (["DL004", "DL006", "DL008"], ("SH01", "HZ01"), (2,), False, (5, 18), (25,)),
    "S005": (["SL001", "SL002", "SL003", "SL004", "SL005", "SL006", "SL007"], ("GZ01",), (1, 4), False, (2, 8), (10, 25)),
    "S006": (["SL001", "SL002", "SL003", "SL004", "SL005", "SL006", "SL007"], ("SH01", "HZ01"), (0, 3), True, (0, 0), (12,)),
    "S007": (["BZ001", "BZ002", "BZ003", "BZ004", "BZ005", "BZ006", "BZ007"], ("SH01", "HZ01"), (2,), False, (3, 10), (20,)),
    "S008": (["LB001", "LB002", "LB003", "LB004"], ("SH01", "HZ01", "GZ01"), (4,), False, (2, 6), (15,)),
}
SUPPLIERS = {}
for _s in data.SUPPLIERS:
    if _s[0] in _SUP:
        _items, _whs, _wd, _monthly, _lag, _pay = _SUP[_s[0]]
        SUPPLIERS[_s[0]] = Supplier(_s[0], _items, _whs, _wd, _monthly, _lag, _pay, terms=_s[8],
                                    bank="100202" if _s[2] == "华南" else "100201")

# 广州仓 carries more than it opened with: these arrive by transfer (五金, 电线电缆, 包装) or purchase
GZ01_EXTRA = ["WJ001", "WJ004", "WJ005", "DL001", "DL002", "DL007", "BZ001", "BZ002", "BZ003", "SL001", "SL002",
              "LB002", "LB003"]
TRANSFER_CATS = {WJ, DL, BZ}  # 广州仓 gets these from 上海总仓 (华东 → 华南)

# documents entered late (补单): in these months one receipt / one delivery is posted a few days late
LATE_RECEIPT = {202601, 202604, 202607, 202611}
LATE_DELIVERY = {202603, 202606, 202609, 202611}
# a return of an earlier month's delivery is arranged in these months (the delivery late in the month before)
CROSS_MONTH_RETURN = {202601, 202604, 202607, 202610}
COUNT_MONTHS = {12, 3, 6, 9}
SCRAP = {  # period: (warehouse, item, qty in base units, reason)
    202601: ("SH01", "WJ010", 1, "搬运跌落损坏，无法维修"),
    202603: ("GZ01", "BZ002", 50, "回南天受潮，纸箱变形"),
    202604: ("GZ01", "BZ001", 40, "回南天受潮霉变"),
    202606: ("HZ01", "LB002", 6, "破损（帽壳开裂）"),
    202608: ("SH01", "BZ005", 2, "破损"),
    202609: ("SH01", "SL006", 50, "吨袋破损撒漏，无法回收"),
    202611: ("HZ01", "BZ001", 30, "仓库漏雨受潮"),
}


@dataclass(frozen=True)
class ItemInfo:
    code: str
    name: str
    cat: str
    uom: str
    units: dict
    cost: Decimal
    smin: int
    smax: int
    method: str
    weight: float  # its share of demand within its category

    @property
    def buy_unit(self):
        for u in ("吨", "盘", "卷", "箱", "捆", "盒"):
            if u in self.units:
                return u, self.units[u]
        return None, Decimal(1)

    @property
    def base_step(self) -> Decimal:
        return Decimal(10) if self.uom == "米" else Decimal(1)


def _items() -> dict:
    r = random.Random(f"{data.SEED}:item-weights")
    out = {}
    for code, name, _spec, cat, uom, units, cost, (smin, smax), extra in data.ITEMS:
        out[code] = ItemInfo(code, name, cat, uom, {u: Decimal(f) for u, f in units.items()}, Decimal(cost), smin, smax,
                             extra.get("costing_method", "moving_average"), round(r.uniform(0.5, 1.6), 2))
    return out


ITEMS = _items()


@dataclass
class Line:
    n: int
    item: ItemInfo
    uom: str | None
    factor: Decimal
    qty: Decimal  # in uom
    price: Decimal  # per uom
    amount: int  # 分
    billed: Decimal = D0  # base units invoiced
    returned: Decimal = D0  # base units returned
    taken_q: Decimal = D0
    taken_amt: int = 0
    hold: date | None = None  # not to be invoiced before this date (a return is due)

    @property
    def base(self) -> Decimal:
        return self.qty * self.factor

    @property
    def open(self) -> Decimal:
        return self.base - self.billed - self.returned

    def take(self, q: Decimal) -> int:
        """The part of the line's 220202 / 112202 amount that q base units take (contract: parts of a line)."""
        if self.taken_q + q == self.base:
            p = self.amount - self.taken_amt
        else:
            p = part_fen(self.amount, q, self.base)
        self.taken_q += q
        self.taken_amt += p
        return p


@dataclass
class Rec:
    """A posted (or to be posted) receipt or delivery."""
    ref: str
    date: date
    party: str
    wh: str
    lines: list
    posted: date


@dataclass
class Invoice:
    ref: str
    date: date
    gross: int
    open: int


@dataclass(order=True)
class Event:
    prio: int
    seq: int
    fn: object = field(compare=False)


PRIO = {"late": 0, "receipt": 1, "transfer": 2, "preturn": 3, "delivery": 4, "sreturn": 5, "scrap": 6,
        "pinvoice": 7, "sinvoice": 8, "collect": 9, "pay": 10, "settle": 11, "count": 12}

PREFIX = {"purchase_receipt": "CGRK", "purchase_invoice": "CGFP", "purchase_return": "CGTH", "sales_delivery": "XSCK",
          "sales_invoice": "XSFP", "sales_return": "XSTH", "transfer": "DBD", "stock_count": "PDD",
          "count_settlement": "PDCL", "scrap": "BFD", "customer_receipt": "SKD", "supplier_payment": "FKD"}


class Business:
    def __init__(self, opening_stock: list[dict], opening_balance: dict, balance: dict):
        self.r = random.Random(f"{data.SEED}:business")
        self.balance = balance  # shared with the journal generator: bank and cash in 分
        self.stock: dict = defaultdict(lambda: D0)
        self.assort: dict = defaultdict(set)
        for doc in opening_stock:
            for ln in doc["lines"]:
                it = ITEMS[ln["item"]]
                f = it.units[ln["uom"]] if ln.get("uom") else Decimal(1)
                self.stock[(it.code, doc["warehouse"])] += Decimal(ln["qty"]) * f
                self.assort[doc["warehouse"]].add(it.code)
        self.assort["GZ01"] |= set(GZ01_EXTRA)
        self.ar: dict = defaultdict(int)  # 1122 balance per customer (分), as the credit check sees it
        self.opening_ar, self.opening_ap = {}, {}
        for ln in opening_balance["lines"]:
            if "customer" in ln:
                self.opening_ar[ln["customer"]] = fen_of(Decimal(ln["debit"]))
                self.ar[ln["customer"]] += fen_of(Decimal(ln["debit"]))
            if "supplier" in ln:
                self.opening_ap[ln["supplier"]] = fen_of(Decimal(ln["credit"]))
        self.receipts: dict = defaultdict(list)  # supplier → [Rec]
        self.deliveries: dict = defaultdict(list)  # customer → [Rec]
        self.sinv: dict = defaultdict(list)  # customer → [Invoice]
        self.pinv: dict = defaultdict(list)  # supplier → [Invoice]
        self.credit: dict = defaultdict(int)  # customer → unallocated receipts beyond the opening balance (分)
        self.events: dict = defaultdict(list)  # date → [Event]
        self.seq = 0
        self.counters: dict = defaultdict(int)
        self.out: list = []  # (post date, document) of the month being generated
        self.late_pending = 0
        self.late_flags: set = set()
        self.cross_return_armed: set = set(CROSS_MONTH_RETURN)
        self._demand: dict = {}
        self.stats: dict = defaultdict(int)
        self.vat: dict = defaultdict(lambda: [0, 0])  # period → [output VAT, input VAT] in 分, for the tax journal

    # -- plumbing ---------------------------------------------------------------------------------
    def _now_or_late(self, when, late: bool, post_it):
        """Post now, or later as a late entry (补单) that the stream emits after later-dated documents."""
        if not late:
            post_it()
            return

        def run():
            post_it()
            self.late_pending -= 1
            self.stats["late"] += 1

        self.late_pending += 1
        self.at(when, "late", run)

    def at(self, day: date, kind: str, fn):
        self.seq += 1
        self.events[day].append(Event(PRIO[kind], self.seq, fn))

    def ref(self, typ: str, day: date) -> str:
        key = (typ, day.year, day.month)
        self.counters[key] += 1
        return f"{PREFIX[typ]}-{day.year}{day.month:02d}-{self.counters[key]:04d}"

    def emit(self, day: date, doc: dict):
        self.out.append((day, doc))
        self.stats[doc["type"]] += 1

    def add(self, item: str, wh: str, q: Decimal):
        self.stock[(item, wh)] += q

    def sub(self, item: str, wh: str, q: Decimal):
        left = self.stock[(item, wh)] - q
        assert left >= 0, (item, wh, q, self.stock[(item, wh)])
        self.stock[(item, wh)] = left

    def sell_price(self, it: ItemInfo, cust: Customer, m: int) -> Decimal:
        f = Decimal("0.97") if cust.budget >= 180_000 else Decimal("1.03") if cust.budget < 60_000 else Decimal(1)
        return it.cost * MARKUP[it.cat] * drift(it.cat, m) * f

    # -- demand plan ----------------------------------------------------------------------------------
    def universe(self, cust: Customer, cat: str) -> list[ItemInfo]:
        return [it for it in ITEMS.values() if it.cat == cat and it.code in self.assort[cust.wh]]

    def monthly_demand(self, item: str, wh: str, m: int) -> Decimal:
        """Expected base qty of item sold from wh in an average-length month m."""
        key = (item, wh, m)
        if key not in self._demand:
            self._demand[key] = self._monthly_demand(item, wh, m)
        return self._demand[key]

    def _monthly_demand(self, item: str, wh: str, m: int) -> Decimal:
        it = ITEMS[item]
        total = 0.0
        for cust in CUSTOMERS.values():
            if cust.wh != wh or it.cat not in cust.cats or item not in self.assort[wh]:
                continue
            u = self.universe(cust, it.cat)
            value = cust.budget * cust.cats[it.cat] * season(it.cat, m) * it.weight / sum(x.weight for x in u)
            total += value / float(self.sell_price(it, cust, m))
        return Decimal(total)

    def weekly(self, item: str, wh: str, day: date, own_only=False) -> Decimal:
        m, n = day.month, (day.month % 12) + 1
        frac = Decimal(day.day) / 31
        per_month = lambda w: self.monthly_demand(item, w, m) * (1 - frac) + self.monthly_demand(item, w, n) * frac
        d = per_month(wh)
        if wh == "SH01" and not own_only and ITEMS[item].cat in TRANSFER_CATS and item in self.assort["GZ01"]:
            d += per_month("GZ01")
        return d / Decimal("4.33")

    # -- the month ------------------------------------------------------------------------------------
    def month(self, period: int, last_day: date) -> list[tuple[date, dict]]:
        self.out = []
        self.plan_month(period)
        for day in month_days(period):
            if day > last_day:
                break
            if is_workday(day):
                for s in SUPPLIERS.values():
                    if day.weekday() in s.weekdays:
                        self.at(day, "receipt", lambda day=day, s=s: self.replenish(day, s))
            while self.events.get(day):  # events may add more for the same day
                for ev in sorted(self.events.pop(day)):
                    ev.fn()
        return self.out

    def plan_month(self, period: int):
        r = self.r
        y, m = divmod(period, 100)
        wds = workdays(period)
        # deliveries
        for cust in CUSTOMERS.values():
            value = cust.budget * sum(w * season(cat, m) for cat, w in cust.cats.items())
            size = min(max(cust.budget / 3.5, 6_000), 60_000)
            n = max(1, round(value / size * r.uniform(0.85, 1.15)))
            for day in sorted(r.choice(wds) for _ in range(n)):
                v = value / n * r.uniform(0.7, 1.3)
                self.at(day, "delivery", lambda day=day, cust=cust, v=v: self.deliver(day, cust, v))
        # customer receipts and supplier payments
        for cust in CUSTOMERS.values():
            for pd in cust.pay_days:
                day = on_or_after_workday(date(y, m, pd))
                if day.month == m:
                    self.at(day, "collect", lambda day=day, cust=cust: self.collect(day, cust))
        for s in SUPPLIERS.values():
            for pd in s.pay_days:
                day = on_or_after_workday(date(y, m, pd))
                if day.month == m:
                    self.at(day, "pay", lambda day=day, s=s: self.pay(day, s))
            if s.monthly_invoice:
                day = wds[3]
                self.at(day, "pinvoice", lambda day=day, s=s: self.monthly_purchase_invoice(day, s))
        for cust in CUSTOMERS.values():
            if cust.monthly_invoice:
                day = next(d for d in wds if d.day >= 25)
                self.at(day, "sinvoice", lambda day=day, cust=cust: self.monthly_sales_invoice(day, cust))
        if period == int(data.START_PERIOD.replace("-", "")):
            self.plan_openings(period)
        # transfers 上海总仓 → 广州仓, twice a month
        for day in (wds[1], wds[len(wds) // 2]):
            self.at(day, "transfer", lambda day=day: self.transfer(day))
        if period in SCRAP:
            day = wds[len(wds) // 2 + 1]
            self.at(day, "scrap", lambda day=day, spec=SCRAP[period]: self.scrap(day, *spec))
        if m in COUNT_MONTHS:
            day = wds[-1]
            for wh, *_ in data.WAREHOUSES:
                self.at(day, "count", lambda day=day, wh=wh: self.count(day, wh))
        if period in LATE_RECEIPT:
            self.late_flags.add(("receipt", period))
        if period in LATE_DELIVERY:
            self.late_flags.add(("delivery", period))

    def plan_openings(self, period: int):
        """Opening receivables and payables are collected and paid in the first two months."""
        y, m = divmod(period, 100)
        for c, amt in sorted(self.opening_ar.items()):
            first = amt if amt <= 6_000_000 else amt // 2 // 100 * 100
            day = on_or_after_workday(date(y, m, 8 + int(c[1:]) % 15))
            self.at(day, "collect", lambda day=day, c=c, a=first: self.opening_receipt(day, c, a))
            if first < amt:
                day2 = on_or_after_workday(day + timedelta(days=35))
                self.at(day2, "collect", lambda day=day2, c=c, a=amt - first: self.opening_receipt(day, c, a))
        for s, amt in sorted(self.opening_ap.items()):
            first = amt if amt <= 8_000_000 else amt * 6 // 10 // 100 * 100
            day = on_or_after_workday(date(y, m, 18))
            self.at(day, "pay", lambda day=day, s=s, a=first: self.opening_payment(day, s, a))
            if first < amt:
                day2 = on_or_after_workday(day + timedelta(days=30))
                self.at(day2, "pay", lambda day=day2, s=s, a=amt - first: self.opening_payment(day, s, a))
        # 常州武进物业 has no credit: it pays a deposit before its first order
        day = on_or_after_workday(date(y, m, 1))
        self.at(day, "collect", lambda day=day: self.receipt_doc(day, CUSTOMERS[PREPAY_CUSTOMER], DEPOSIT, [], prepay=True))

    def take_late(self, kind: str, day: date, eligible: bool = True) -> date | None:
        """The day a document of ``day`` is posted if it is this month's late one (补单), else None."""
        key = (kind, day.year * 100 + day.month)
        if key in self.late_flags and 6 <= day.day <= 14 and eligible:
            post = add_workdays(day, self.r.randint(4, 6))
            if post.month == day.month and post.day <= 22:  # well before the month-end count and close
                self.late_flags.discard(key)
                return post
        return None

    # -- purchasing --------------------------------------------------------------------------------------
    def replenish(self, day: date, s: Supplier):
        """Weekly review per supplier and warehouse: an item below 2.5 weeks of expected sales triggers an
        order; the order then tops up every item of that supplier below 4 weeks, each to 5.5 weeks."""
        r = self.r
        for wh in s.whs:
            wanted = []
            for code in s.items:
                it = ITEMS[code]
                if code not in self.assort[wh] or (wh == "GZ01" and it.cat in TRANSFER_CATS):
                    continue
                wk = self.weekly(code, wh, day)
                if wk > 0:
                    wanted.append((it, wk, self.stock[(code, wh)]))
            if not any(have < Decimal("2.5") * wk for _it, wk, have in wanted):
                continue
            lines = []
            for it, wk, have in wanted:
                if have >= 4 * wk:
                    continue
                need = Decimal("5.5") * wk - have
                u, f = it.buy_unit
                if u is None or (r.random() < 0.2 and u != "吨"):
                    u, f = None, Decimal(1)
                qty = (need / f).to_integral_value(rounding=ROUND_CEILING)
                if u is None and qty >= 100:  # a round number of pieces or metres
                    step = Decimal(10) ** (len(str(int(qty))) - 2)
                    qty = (qty / step).to_integral_value(rounding=ROUND_CEILING) * step
                price = price_text(it.cost * drift(it.cat, day.month) * Decimal(str(r.uniform(0.985, 1.015))) * f)
                lines.append(Line(len(lines) + 1, it, u, f, qty, price, net_fen(qty, price)))
            if lines:
                self.purchase_receipt(day, s, wh, lines)

    def purchase_receipt(self, day: date, s: Supplier, wh: str, lines: list[Line]):
        r = self.r
        # a busy line at 上海总仓, so that documents posted meanwhile are re-costed when it comes in
        post = self.take_late("receipt", day, wh == "SH01" and s.code in ("S001", "S003", "S007"))
        late = post is not None
        post = post or day
        rec = Rec(self.ref("purchase_receipt", day), day, s.code, wh, lines, post)
        doc = {"type": "purchase_receipt", "ref": rec.ref, "date": day.isoformat(), "supplier": s.code, "warehouse": wh,
               "lines": [self._qline({"item": ln.item.code}, ln.qty, ln.uom) | {"unit_price": num(ln.price)} for ln in lines]}

        def arrive():
            for ln in lines:
                self.add(ln.item.code, wh, ln.base)
            self.receipts[s.code].append(rec)
            self.emit(post, doc)

        self._now_or_late(post, late, arrive)
        # a defect found on inspection: part of a line goes back before the invoice comes
        ret_line = next((ln for ln in lines if ln.item.method == "moving_average" and ln.qty >= 3), None)
        if ret_line is not None and r.random() < 0.05:
            rday = add_workdays(post, r.randint(1, 3))
            ret_line.hold = rday
            self.at(rday, "preturn", lambda: self.purchase_return(rday, rec, ret_line))
        if not s.monthly_invoice:
            iday = add_workdays(max(post, ret_line.hold if ret_line and ret_line.hold else post), r.randint(*s.lag))
            self.at(iday, "pinvoice", lambda: self.receipt_invoice(iday, s, rec))

    def purchase_return(self, day: date, rec: Rec, ln: Line):
        q = ln.qty // 3 if ln.qty >= 9 else Decimal(1)
        base = q * ln.factor
        if base > ln.open or base > self.stock[(ln.item.code, rec.wh)]:
            return
        self.sub(ln.item.code, rec.wh, base)
        ln.returned += base
        ln.take(base)
        self.emit(day, {"type": "purchase_return", "ref": self.ref("purchase_return", day), "date": day.isoformat(),
                        "receipt": rec.ref, "lines": [self._qline({"line": ln.n}, q, ln.uom)]})

    def _invoice_parts(self, day: date, rec: Rec, only, split_p: float, wait: tuple, held: bool, again) -> list:
        """(rec, line, qty) to invoice now: every open line (of ``only`` if given; not a line on hold when
        ``held``), now and then only half of one, with ``again(later, line)`` scheduling the rest."""
        todo = []
        for ln in rec.lines:
            if (only is not None and ln.n not in only) or ln.open <= 0 or (held and ln.hold and ln.hold >= day):
                continue
            q = ln.open
            if only is None and self.r.random() < split_p and ln.qty >= 4:
                q = (ln.qty / 2).to_integral_value(rounding=ROUND_FLOOR) * ln.factor
                again(add_workdays(day, self.r.randint(*wait)), ln.n)
            todo.append((rec, ln, q))
        return todo

    def receipt_invoice(self, day: date, s: Supplier, rec: Rec, only: list | None = None):
        """The supplier's invoice for a receipt: all that is open, or now and then part of it (the rest later)."""
        todo = self._invoice_parts(day, rec, only, 0.08, (12, 25), held=False, again=lambda later, n: self.at(
            later, "pinvoice", lambda: self.receipt_invoice(later, s, rec, [n])))
        self.purchase_invoice(day, s, todo)

    def monthly_purchase_invoice(self, day: date, s: Supplier):
        todo = [(rec, ln, ln.open) for rec in self.receipts[s.code] if rec.date.month != day.month or rec.date.year != day.year
                for ln in rec.lines if ln.open > 0 and (ln.hold is None or ln.hold < day)]
        self.purchase_invoice(day, s, todo)

    def purchase_invoice(self, day: date, s: Supplier, todo):
        r = self.r
        lines, gross = [], 0
        for rec, ln, q in todo:
            uom, qty, price = self._bill_unit(ln, q)
            if r.random() < 0.08:  # 单到补差: the invoice price differs a little from the receipt's
                price = price_text(price * Decimal(r.choice(["0.985", "0.99", "0.995", "1.005", "1.01", "1.02"])))
                self.stats["price_difference"] += 1
            net = net_fen(qty, price)
            gross += net + tax_fen(net)
            self.vat[day.year * 100 + day.month][1] += tax_fen(net)
            ln.billed += q
            ln.take(q)
            lines.append({"receipt": rec.ref, "line": ln.n} | self._qline({}, qty, uom) | {"unit_price": num(price)})
        if not lines:
            return
        ref = self.ref("purchase_invoice", day)
        self.pinv[s.code].append(Invoice(ref, day, gross, gross))
        self.emit(day, {"type": "purchase_invoice", "ref": ref, "date": day.isoformat(), "supplier": s.code, "lines": lines})

    def pay(self, day: date, s: Supplier):
        due = [inv for inv in self.pinv[s.code] if inv.open > 0 and inv.date + timedelta(days=s.terms) <= day]
        total = sum(inv.open for inv in due)
        if total < 10_000:
            return
        amount = total
        if total > 5_000_000 and self.r.random() < 0.25:  # a round sum; the last invoice stays partly open
            amount = total // 1_000_000 * 1_000_000
        allocs, left = [], amount
        for inv in due:
            a = min(inv.open, left)
            if a <= 0:
                break
            inv.open -= a
            left -= a
            allocs.append({"invoice": inv.ref, "amount": yuan(a)})
        self.balance[s.bank] -= amount
        self.emit(day, {"type": "supplier_payment", "ref": self.ref("supplier_payment", day), "date": day.isoformat(),
                        "supplier": s.code, "account": s.bank, "amount": yuan(amount), "allocations": allocs})

    def opening_payment(self, day: date, s: str, amount: int):
        bank = SUPPLIERS[s].bank if s in SUPPLIERS else "100201"
        self.balance[bank] -= amount
        self.emit(day, {"type": "supplier_payment", "ref": self.ref("supplier_payment", day), "date": day.isoformat(),
                        "supplier": s, "account": bank, "amount": yuan(amount)})

    # -- transfers, scrap, counts -----------------------------------------------------------------------------
    def transfer(self, day: date):
        lines = []
        for code in sorted(self.assort["GZ01"]):
            it = ITEMS[code]
            if it.cat not in TRANSFER_CATS:
                continue
            wk = self.weekly(code, "GZ01", day)
            have = self.stock[(code, "GZ01")]
            if wk <= 0 or have >= 2 * wk:
                continue
            spare = self.stock[(code, "SH01")] - self.weekly(code, "SH01", day, own_only=True)
            want = min(Decimal("4.5") * wk - have, spare)
            u, f = it.buy_unit
            qty = (want / f).to_integral_value(rounding=ROUND_FLOOR)
            if qty < 1:
                u, f = None, Decimal(1)
                qty = (want / it.base_step).to_integral_value(rounding=ROUND_FLOOR) * it.base_step
            if qty <= 0:
                continue
            self.sub(code, "SH01", qty * f)
            self.add(code, "GZ01", qty * f)
            lines.append(self._qline({"item": code}, qty, u))
        if lines:
            self.emit(day, {"type": "transfer", "ref": self.ref("transfer", day), "date": day.isoformat(),
                            "from": "SH01", "to": "GZ01", "lines": lines})

    def scrap(self, day: date, wh: str, item: str, qty: int, reason: str):
        q = min(Decimal(qty), self.stock[(item, wh)])
        if q <= 0:
            return
        self.sub(item, wh, q)
        self.emit(day, {"type": "scrap", "ref": self.ref("scrap", day), "date": day.isoformat(), "warehouse": wh,
                        "reason": reason, "lines": [{"item": item, "qty": num(q)}]})

    def count(self, day: date, wh: str):
        """Quarter-end 盘点: a sample of what the warehouse holds, a few small gains and losses."""
        assert self.late_pending == 0, "a late document is outstanding at a count"
        r = self.r
        held = [code for (code, w), q in sorted(self.stock.items()) if w == wh and q > 0]
        sample = sorted(r.sample(held, min(12, len(held))))
        if day.month == 9 and wh == "SH01" and "SL006" in held and "SL006" not in sample:
            sample = sorted(sample[:-1] + ["SL006"])  # a monthly-average loss, settled once its cost is known
        diffs = {}
        for code in r.sample(sample, min(4, len(sample))):
            it = ITEMS[code]
            book = self.stock[(code, wh)]
            if it.uom == "米":
                d = Decimal(r.randint(1, 8)) / 2
            elif it.uom == "公斤":
                d = Decimal(r.randint(5, 150)) / 10
            elif it.cost < 1:
                d = Decimal(r.randint(5, 60))
            else:
                d = Decimal(r.randint(1, 3))
            gain = r.random() < 0.35 and code != "SL006"
            d = d if gain else -min(d, book)
            if d:
                diffs[code] = d
        lines = []
        for code in sample:
            book = self.stock[(code, wh)]
            counted = book + diffs.get(code, D0)
            self.stock[(code, wh)] = counted
            lines.append({"item": code, "counted_qty": num(counted)})
        ref = self.ref("stock_count", day)
        self.emit(day, {"type": "stock_count", "ref": ref, "date": day.isoformat(), "warehouse": wh, "lines": lines})
        if diffs:
            sday = add_workdays(day, r.randint(2, 4))
            self.at(sday, "settle", lambda: self.emit(sday, {"type": "count_settlement", "ref": self.ref("count_settlement", sday),
                                                             "date": sday.isoformat(), "count": ref}))

    # -- sales ----------------------------------------------------------------------------------------------
    def deliver(self, day: date, cust: Customer, value: float):
        r = self.r
        m = day.month
        k = r.choices([1, 2, 3, 4], [2, 3, 3, 2])[0]
        cats = list(cust.cats)
        cw = [cust.cats[c] * season(c, m) for c in cats]
        chosen = []
        for _ in range(k * 3):
            if len(chosen) == k:
                break
            cat = r.choices(cats, cw)[0]
            u = self.universe(cust, cat)
            if not u:
                continue
            it = r.choices(u, [x.weight for x in u])[0]
            if it not in chosen and self.stock[(it.code, cust.wh)] > 0:
                chosen.append(it)
        lines = []
        for it in chosen:
            v = Decimal(str(value / len(chosen) * r.uniform(0.6, 1.4)))
            pb = self.sell_price(it, cust, m)
            uom, f, qty = self._sell_qty(it, v / pb, self.stock[(it.code, cust.wh)])
            if qty <= 0:
                continue
            price = price_text(pb * f)
            lines.append(Line(len(lines) + 1, it, uom, f, qty, price, net_fen(qty, price)))
        limit = cust.limit
        while lines and limit is not None and self.ar[cust.code] + sum(ln.amount for ln in lines) > limit:
            lines.pop()
            self.stats["credit_hold"] += 1; self.stats["hold_" + cust.code] += 1
        if not lines:
            return
        post = self.take_late("delivery", day)
        late = post is not None
        post = post or day
        rec = Rec(self.ref("sales_delivery", day), day, cust.code, cust.wh, lines, post)
        for ln in lines:
            self.sub(ln.item.code, cust.wh, ln.base)  # on its own date, even when posted late
        self.ar[cust.code] += sum(ln.amount for ln in lines)
        doc = {"type": "sales_delivery", "ref": rec.ref, "date": day.isoformat(), "customer": cust.code, "warehouse": cust.wh,
               "lines": [self._qline({"item": ln.item.code}, ln.qty, ln.uom) | {"unit_price": num(ln.price)} for ln in lines]}

        def send():
            self.deliveries[cust.code].append(rec)
            self.emit(post, doc)

        self._now_or_late(post, late, send)
        # now and then the customer sends part of a line back
        hold = None
        period = day.year * 100 + day.month
        nxt = next_period(period)
        if nxt in self.cross_return_armed and cust.monthly_invoice and day.day >= 26 and not late:
            self.cross_return_armed.discard(nxt)
            wds = workdays(nxt)
            hold = wds[r.randint(2, 5)]
        elif r.random() < 0.025:
            hold = add_workdays(post, r.randint(2, 6))
        if hold is not None:
            ln = max(lines, key=lambda x: x.qty)
            ln.hold = hold
            self.at(hold, "sreturn", lambda: self.sales_return(hold, rec, ln))
        if not cust.monthly_invoice:
            lag = r.randint(0, 3) if cust.code == PREPAY_CUSTOMER else r.choice([0, 1, 2, 3, 5, 8])
            iday = add_workdays(max(post, hold or post), lag) if lag or hold else post
            self.at(iday, "sinvoice", lambda: self.delivery_invoice(iday, cust, rec))

    def _sell_qty(self, it: ItemInfo, q_base: Decimal, avail: Decimal):
        """(uom, factor, qty) for about q_base base units, as customers order them, no more than avail."""
        r = self.r
        opts = sorted(((u, f) for u, f in it.units.items() if u != "吨袋"), key=lambda x: -x[1])
        uom, f = None, Decimal(1)
        for u, fu in opts:
            if q_base / fu >= (1 if u == "吨" else 2) and r.random() < 0.8:
                uom, f = u, fu
                break
        step = Decimal("0.5") if uom == "吨" else Decimal(1) if uom else it.base_step
        qty = max(step, (q_base / f / step).to_integral_value(rounding=ROUND_HALF_UP) * step)
        cap = (avail / f / step).to_integral_value(rounding=ROUND_FLOOR) * step
        if qty > cap:
            if cap >= step:
                qty = cap
            else:
                uom, f, step = None, Decimal(1), it.base_step
                qty = min((q_base / step).to_integral_value(rounding=ROUND_HALF_UP) * step,
                          (avail / step).to_integral_value(rounding=ROUND_FLOOR) * step)
                qty = max(qty, D0)
        return uom, f, qty

    def sales_return(self, day: date, rec: Rec, ln: Line):
        q = (ln.qty / 4).to_integral_value(rounding=ROUND_FLOOR) if ln.qty >= 4 else Decimal(1) if ln.qty >= 2 else D0
        if ln.uom == "吨":
            q = Decimal("0.5") if ln.qty >= 1 else D0
        if ln.uom is None and ln.item.uom == "米":
            q = (ln.qty / 40).to_integral_value(rounding=ROUND_FLOOR) * 10
        base = q * ln.factor
        if q <= 0 or base > ln.open:
            return
        ln.returned += base
        self.add(ln.item.code, rec.wh, base)
        self.ar[rec.party] -= ln.take(base)
        if rec.date.month != day.month:
            self.stats["return_of_earlier_month"] += 1
        self.emit(day, {"type": "sales_return", "ref": self.ref("sales_return", day), "date": day.isoformat(),
                        "delivery": rec.ref, "lines": [self._qline({"line": ln.n}, q, ln.uom)]})

    def delivery_invoice(self, day: date, cust: Customer, rec: Rec, only: list | None = None):
        todo = self._invoice_parts(day, rec, only, 0.05, (10, 25), held=True, again=lambda later, n: self.at(
            later, "sinvoice", lambda: self.delivery_invoice(later, cust, rec, [n])))
        self.sales_invoice(day, cust, todo)

    def monthly_sales_invoice(self, day: date, cust: Customer):
        r = self.r
        todo = []
        for rec in self.deliveries[cust.code]:
            for ln in rec.lines:
                if ln.open <= 0 or (ln.hold and ln.hold >= day):
                    continue
                q = ln.open
                if r.random() < 0.04 and ln.qty >= 4 and ln.billed == 0:  # part now, the rest with next month's invoice
                    q = (ln.qty * Decimal("0.6")).to_integral_value(rounding=ROUND_FLOOR) * ln.factor
                todo.append((rec, ln, q))
        self.sales_invoice(day, cust, todo)

    def sales_invoice(self, day: date, cust: Customer, todo):
        r = self.r
        lines, gross = [], 0
        for rec, ln, q in todo:
            uom, qty, price = self._bill_unit(ln, q)
            if r.random() < 0.015:  # 折让: a small discount agreed after delivery
                price = price_text(price * Decimal("0.98"))
                self.stats["discount"] += 1
            net = net_fen(qty, price)
            tax = tax_fen(net)
            gross += net + tax
            self.vat[day.year * 100 + day.month][0] += tax
            ln.billed += q
            self.ar[cust.code] += net + tax - ln.take(q)
            lines.append({"delivery": rec.ref, "line": ln.n} | self._qline({}, qty, uom) | {"unit_price": num(price)})
        if not lines:
            return
        ref = self.ref("sales_invoice", day)
        self.sinv[cust.code].append(Invoice(ref, day, gross, gross))
        self.emit(day, {"type": "sales_invoice", "ref": ref, "date": day.isoformat(), "customer": cust.code, "lines": lines})

    def collect(self, day: date, cust: Customer):
        """收款: the customer pays what has fallen due, allocated oldest first; now and then a round sum."""
        r = self.r
        if cust.code == PREPAY_CUSTOMER:
            due = [inv for inv in self.sinv[cust.code] if inv.open > 0]
            amount = sum(inv.open for inv in due)
        else:
            due = [inv for inv in self.sinv[cust.code]
                   if inv.open > 0 and inv.date + timedelta(days=cust.terms + cust.late) <= day]
            amount = sum(inv.open for inv in due) - self.credit[cust.code]
        if amount < 10_000:
            return
        x = r.random()
        prepay = False
        if x < 0.12 and amount > 2_000_000:
            amount = amount // 1_000_000 * 1_000_000
        elif x < 0.2 and cust.code != PREPAY_CUSTOMER:
            amount = (amount // 1_000_000 + 1) * 1_000_000  # rounded up: the rest is a prepayment
            prepay = True
        self.receipt_doc(day, cust, amount, due, prepay)

    def receipt_doc(self, day: date, cust: Customer, amount: int, due: list, prepay=False):
        allocs, left = [], amount
        for inv in due:
            a = min(inv.open, left)
            if a <= 0:
                break
            inv.open -= a
            left -= a
            allocs.append({"invoice": inv.ref, "amount": yuan(a)})
        self.credit[cust.code] += left
        if left:
            self.stats["prepaid_receipts"] += 1
        self.ar[cust.code] -= amount
        bank = "100202" if cust.wh == "GZ01" else "100201"
        self.balance[bank] += amount
        doc = {"type": "customer_receipt", "ref": self.ref("customer_receipt", day), "date": day.isoformat(),
               "customer": cust.code, "account": bank, "amount": yuan(amount)}
        if allocs:
            doc["allocations"] = allocs
        self.emit(day, doc)

    def opening_receipt(self, day: date, c: str, amount: int):
        cust = CUSTOMERS[c]
        bank = "100202" if cust.wh == "GZ01" else "100201"
        self.ar[c] -= amount
        self.balance[bank] += amount
        self.emit(day, {"type": "customer_receipt", "ref": self.ref("customer_receipt", day), "date": day.isoformat(),
                        "customer": c, "account": bank, "amount": yuan(amount)})

    # -- lines ------------------------------------------------------------------------------------------------
    @staticmethod
    def _qline(head: dict, qty: Decimal, uom: str | None) -> dict:
        out = dict(head)
        out["qty"] = num(qty)
        if uom:
            out["uom"] = uom
        return out

    @staticmethod
    def _bill_unit(ln: Line, q: Decimal):
        """(uom, qty, price) to invoice q base units of ln: in the line's unit when whole, else the base unit."""
        if ln.uom and (q / ln.factor) == (q / ln.factor).to_integral_value() or ln.uom == "吨":
            return ln.uom, q / ln.factor, ln.price
        return None, q, (ln.price / ln.factor).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


