"""移动加权平均法 (moving_average), contract 3.2 and 3.3: each (item, warehouse) holds (qty, value)."""
from fractions import Fraction

from .arith import part
from .base import ItemBook


class MovingBook(ItemBook):
    method = "moving_average"

    def load(self, s):
        self.value: dict[int, int] = {int(k): v for k, v in s.get("value", {}).items()}
        self.avg: dict[int, list[int]] = {int(k): v for k, v in s.get("avg", {}).items()}  # last [value, qty] held

    def dump_units(self):
        return {"value": {str(k): v for k, v in self.value.items() if v}, "avg": {str(k): v for k, v in self.avg.items()}}

    def unit_values(self):
        return dict(self.value)

    def _note_avg(self, wh):
        q = self.qty.get(wh, 0)
        if q > 0:
            self.avg[wh] = [self.value.get(wh, 0), q]

    def receive(self, ev, out, wh, qty, value, origin, gain=False):
        # qty was already added by the caller
        self.value[wh] = self.value.get(wh, 0) + value
        self._note_avg(wh)

    def _issue_value(self, wh, qty) -> int:
        """Cost of qty leaving a unit whose qty has already been reduced by it."""
        before_q = self.qty.get(wh, 0) + qty
        v = self.value.get(wh, 0)
        cost = part(v, qty, before_q)
        self.value[wh] = v - cost
        self._note_avg(wh)
        return cost

    def issue(self, ev, out, wh, qty):
        return self._issue_value(wh, qty)

    def transfer(self, ev, out):
        cost = self._issue_value(ev.wh, ev.qty)
        self.move(out, ev, ev.wh, "transfer_out", -ev.qty, -cost)
        self.value[ev.to] = self.value.get(ev.to, 0) + cost
        self._note_avg(ev.to)
        self.move(out, ev, ev.to, "transfer_in", ev.qty, cost)
        return cost

    def purchase_return(self, ev, out, acc, p):
        wh = acc["wh"]
        self.take_qty(wh, ev.qty, ev)
        v = self.value.get(wh, 0) - p
        if self.qty[wh] == 0:  # emptied: the value left goes to 5401 with the return
            value = p + v
            self.value[wh] = 0
        else:
            value = p
            self.value[wh] = v
            self._note_avg(wh)
        self.move(out, ev, wh, "purchase_return", -ev.qty, -value)
        return value

    def invoice_difference(self, ev, out, acc, diff):
        wh = acc["wh"]
        if self.qty.get(wh, 0) > 0:
            self.value[wh] = self.value.get(wh, 0) + diff
            self._note_avg(wh)
            self.move(out, ev, wh, "price_difference", 0, diff)
            return diff, 0
        return 0, diff

    def sales_return(self, ev, out, acc):
        value = self.return_cost_part(acc, ev.qty, acc["q"])
        wh = acc["wh"]
        self.value[wh] = self.value.get(wh, 0) + value
        self._note_avg(wh)
        self.move(out, ev, wh, "sales_return", ev.qty, value)
        return value

    def count_unit_cost(self, ev):
        q = self.qty.get(ev.wh, 0)
        if q > 0:
            return Fraction(self.value.get(ev.wh, 0), q)
        last = self.avg.get(ev.wh)
        if last and last[1]:
            return Fraction(last[0], last[1])
        return None
