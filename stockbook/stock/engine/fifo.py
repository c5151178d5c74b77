"""先进先出法 (fifo), contract 3.2 and 3.3.

Each (item, warehouse) holds a queue of layers [qty, value, origin, created]: ``origin`` is the receipt
line ("doc:line") that opened it, kept when a transfer moves the layer, and ``created`` the creation order.
"""
from fractions import Fraction

from .arith import part, rdiv
from .base import ItemBook
from .errors import CostError


class FifoBook(ItemBook):
    method = "fifo"

    def load(self, s):
        self.layers: dict[int, list[list]] = {int(k): v for k, v in s.get("layers", {}).items()}
        self.newest: dict[int, list[int]] = {int(k): v for k, v in s.get("newest", {}).items()}  # [value, qty]
        self.created: int = s.get("created", 0)

    def dump_units(self):
        return {"layers": {str(k): v for k, v in self.layers.items() if v},
                "newest": {str(k): v for k, v in self.newest.items()}, "created": self.created}

    def unit_values(self):
        return {wh: sum(l[1] for l in q) for wh, q in self.layers.items()}

    def _open_layer(self, wh, qty, value, origin):
        self.created += 1
        q = self.layers.setdefault(wh, [])
        q.append([qty, value, origin, self.created])
        self.newest[wh] = [q[-1][1], q[-1][0]]

    def _take(self, wh, layer, t) -> int:
        """Take t units of a layer: round(V × t / Q), exactly V when t == Q."""
        cost = part(layer[1], t, layer[0])
        queue = self.layers[wh]
        if layer is queue[-1]:
            self.newest[wh] = [layer[1], layer[0]]  # the newest layer while the unit still holds it
        layer[0] -= t
        layer[1] -= cost
        if layer[0] == 0:
            queue.remove(layer)
        elif queue:
            self.newest[wh] = [queue[-1][1], queue[-1][0]]
        return cost

    def receive(self, ev, out, wh, qty, value, origin, gain=False):
        self._open_layer(wh, qty, value, origin)

    def _issue_layers(self, wh, qty, ev) -> list[tuple[int, int, str | None]]:
        taken, left = [], qty
        queue = self.layers.get(wh, [])
        while left:
            if not queue:  # the quantity check comes first, so this means a broken state
                raise CostError("negative_stock", "先进先出批次不足", (ev.doc, ev.line))
            layer = queue[0]
            t = min(left, layer[0])
            origin = layer[2]
            taken.append((t, self._take(wh, layer, t), origin))
            left -= t
        return taken

    def issue(self, ev, out, wh, qty):
        return sum(c for _, c, _ in self._issue_layers(wh, qty, ev))

    def transfer(self, ev, out):
        taken = self._issue_layers(ev.wh, ev.qty, ev)
        value = sum(c for _, c, _ in taken)
        self.move(out, ev, ev.wh, "transfer_out", -ev.qty, -value)
        for t, c, origin in taken:
            self._open_layer(ev.to, t, c, origin)
        self.move(out, ev, ev.to, "transfer_in", ev.qty, value)
        return value

    def _origin_layers(self, ref):
        found = [(layer[3], wh, layer) for wh, q in self.layers.items() for layer in q if layer[2] == ref]
        return [(wh, layer) for _, wh, layer in sorted(found, key=lambda x: x[0])]

    def purchase_return(self, ev, out, acc, p):
        layers = self._origin_layers(ev.ref)
        if sum(layer[0] for _, layer in layers) < ev.qty:
            raise CostError("return_exceeds_stock", "原入库批次的结存数量不足以退货", (ev.doc, ev.line))
        left, value, per_wh = ev.qty, 0, {}
        for wh, layer in layers:
            if not left:
                break
            t = min(left, layer[0])
            c = self._take(wh, layer, t)
            self.qty[wh] -= t
            w = per_wh.setdefault(wh, [0, 0])
            w[0] += t
            w[1] += c
            value += c
            left -= t
        for wh, (t, c) in per_wh.items():
            self.move(out, ev, wh, "purchase_return", -t, -c)
        return value

    def invoice_difference(self, ev, out, acc, diff):
        n = acc["q"] - acc["ret"]
        layers = self._origin_layers(ev.ref)
        r = sum(layer[0] for _, layer in layers)
        if r == 0 or n == 0:
            return 0, diff
        share = diff if r == n else rdiv(diff * r, n)
        given, per_wh = 0, {}
        for i, (wh, layer) in enumerate(layers):
            amt = share - given if i == len(layers) - 1 else rdiv(diff * layer[0], n)
            layer[1] += amt
            given += amt
            per_wh[wh] = per_wh.get(wh, 0) + amt
        for wh, amt in per_wh.items():
            if amt:
                self.move(out, ev, wh, "price_difference", 0, amt)
        for wh, q in self.layers.items():
            if q:
                self.newest[wh] = [q[-1][1], q[-1][0]]
        return share, diff - share

    def sales_return(self, ev, out, acc):
        value = self.return_cost_part(acc, ev.qty, acc["q"])
        self._open_layer(acc["wh"], ev.qty, value, None)
        self.move(out, ev, acc["wh"], "sales_return", ev.qty, value)
        return value

    def count_unit_cost(self, ev):
        q = self.layers.get(ev.wh)
        if q:
            return Fraction(q[-1][1], q[-1][0])
        last = self.newest.get(ev.wh)
        if last and last[1]:
            return Fraction(last[0], last[1])
        return None
