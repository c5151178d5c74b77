"""全月一次加权平均法 (monthly_average), contract 3.2, 3.3 and 3.4.

The costing unit is the item across its warehouses (which only keep quantities). Issues (deliveries,
scrap, count losses) are pending until the month is closed; the close computes
``unit = (opening value + receipts value) / (opening qty + receipts qty)`` and splits the month's issue
cost over its issue lines by quantity.
"""
from fractions import Fraction

from .arith import part, rfrac
from .base import OPEN, ItemBook, frac_dump, frac_load


class MonthlyBook(ItemBook):
    method = "monthly_average"

    def load(self, s):
        # per open month: rq/rv receipts qty/value, pq qty of returns with pending value,
        # iss issue lines [doc, line, net qty, kind, wh, gross qty]
        self.months: dict[str, dict] = s.get("months", {})
        self.open_qty: int = s.get("open_qty", 0)  # opening of the first open month
        self.open_val: int = s.get("open_val", 0)
        self.ostk: list[int] = s.get("ostk", [0, 0])  # opening stock qty, value
        self.last_unit: Fraction | None = frac_load(s.get("last_unit"))

    def dump_units(self):
        return {"months": self.months, "open_qty": self.open_qty, "open_val": self.open_val, "ostk": self.ostk,
                "last_unit": frac_dump(self.last_unit)}

    def month(self, period: int) -> dict:
        return self.months.setdefault(str(period), {"rq": 0, "rv": 0, "pq": 0, "iss": []})

    def closed_unit(self) -> Fraction | None:
        if self.last_unit is not None:
            return self.last_unit
        if self.ostk[0]:
            return Fraction(self.ostk[1], self.ostk[0])
        return None

    # -- receipts ------------------------------------------------------------------------------
    def receive(self, ev, out, wh, qty, value, origin, gain=False):
        if ev.kind == OPEN:
            self.open_qty += qty
            self.open_val += value
            self.ostk = [self.ostk[0] + qty, self.ostk[1] + value]
            return
        m = self.month(ev.period)
        m["rq"] += qty
        m["rv"] += value

    def purchase_return(self, ev, out, acc, p):
        self.take_qty(acc["wh"], ev.qty, ev)
        m = self.month(ev.period)
        m["rq"] -= ev.qty
        m["rv"] -= p
        self.move(out, ev, acc["wh"], "purchase_return", -ev.qty, -p)
        return p

    def invoice_difference(self, ev, out, acc, diff):
        m = self.month(ev.period)
        if self._month_opening_qty(ev.period) + m["rq"] > 0:
            m["rv"] += diff
            self.move(out, ev, acc["wh"], "price_difference", 0, diff)
            return diff, 0
        return 0, diff

    def _month_opening_qty(self, period: int) -> int:
        """The item's qty at the start of ``period``: the first open month's opening, plus the net
        movements of the open months before ``period``."""
        q = self.open_qty
        for key, m in self.months.items():
            if int(key) < period:
                q += m["rq"] - sum(i[2] for i in m["iss"])
        return q

    # -- issues ------------------------------------------------------------------------------
    def issue(self, ev, out, wh, qty):
        kind = {"deliv": "d", "scrap": "s", "count": "c"}[ev.kind]
        self.month(ev.period)["iss"].append([ev.doc, ev.line, qty, kind, wh, qty])
        return None

    def transfer(self, ev, out):
        self.move(out, ev, ev.wh, "transfer_out", -ev.qty, 0)
        self.move(out, ev, ev.to, "transfer_in", ev.qty, 0)
        return 0

    def sales_return(self, ev, out, acc):
        if acc["p"] == ev.period:  # same month: nets against the delivery line, no cost line
            for i in self.month(ev.period)["iss"]:
                if f"{i[0]}:{i[1]}" == ev.ref:
                    i[2] -= ev.qty
                    break
            self.move(out, ev, acc["wh"], "sales_return", ev.qty, 0)
            return None
        m = self.month(ev.period)
        m["rq"] += ev.qty
        if acc["c"] is None:  # the delivery's month is still open: value pending until its close
            m["pq"] += ev.qty
            self.move(out, ev, acc["wh"], "sales_return", ev.qty, None)
            return None
        value = self.return_cost_part(acc, ev.qty, acc["nq"])
        m["rv"] += value
        self.move(out, ev, acc["wh"], "sales_return", ev.qty, value)
        return value

    def keeps_delivery(self, acc):
        return acc["c"] is None  # an earlier month's return needs the cost its close gives

    def count_unit_cost(self, ev):
        unit = self.closed_unit()
        if unit is not None:
            return unit
        q = sum(m["rq"] - m["pq"] for k, m in self.months.items() if int(k) <= ev.period)
        v = sum(m["rv"] for k, m in self.months.items() if int(k) <= ev.period)
        return Fraction(v, q) if q > 0 else None

    # -- the close ---------------------------------------------------------------------------
    def on_close(self, ev, out):
        m = self.months.pop(str(ev.period), {"rq": 0, "rv": 0, "pq": 0, "iss": []})
        total_q = self.open_qty + m["rq"]
        closing_q = sum(self.qty.values())
        if total_q:
            unit = Fraction(self.open_val + m["rv"], total_q)
            closing_v = rfrac(closing_q * unit)
            self.last_unit = unit
        else:
            unit, closing_v = None, 0
        cost = self.open_val + m["rv"] - closing_v
        lines = [i for i in m["iss"] if i[2] > 0]
        total_issue = sum(i[2] for i in lines)
        given = 0
        for n, (doc, line, q, kind, wh, gross) in enumerate(lines):
            c = cost - given if n == len(lines) - 1 else part(cost, q, total_issue)
            given += c
            key = (doc, line)
            if kind == "d":
                out.results[key] = {"cost": c}
                acc = self.dl.get(f"{doc}:{line}")
                if acc is not None:
                    acc["c"], acc["nq"] = c, q
                    if acc["tq"] >= acc["q"]:
                        del self.dl[f"{doc}:{line}"]
                code = "sales_delivery"
            elif kind == "s":
                out.results[key] = {"cost": c}
                code = "scrap"
            else:
                out.results[key] = {"diff": -gross, "value": -c}
                code = "count_loss"
            out.moves.append(_move(doc, line, wh, code, -gross, -c))
        for i in m["iss"]:  # issue lines netted to zero by same-month returns cost nothing
            if i[2] <= 0:
                if i[3] == "d":
                    out.results[(i[0], i[1])] = {"cost": 0}
                    acc = self.dl.get(f"{i[0]}:{i[1]}")
                    if acc is not None:
                        acc["c"], acc["nq"] = 0, 0
                out.moves.append(_move(i[0], i[1], i[4], "sales_delivery" if i[3] == "d" else "scrap", -i[5], 0))
        residue = cost - given
        out.results[(ev.doc, 0)] = {"residue": residue, "unit": frac_dump(unit), "closing_qty": closing_q,
                                    "closing_value": closing_v, "open_qty": self.open_qty, "open_value": self.open_val,
                                    "receipt_qty": m["rq"], "receipt_value": m["rv"], "issue_cost": cost}
        self.open_qty, self.open_val = closing_q, closing_v


def _move(doc, line, wh, code, qty, value):
    from .base import MOVE_CODES, Move

    return Move(doc, line, 0, wh, MOVE_CODES[code], qty, value)
