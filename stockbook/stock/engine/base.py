"""The costing engine's shared part: events, the item book, and the parts of receipt and delivery lines.

Pure: plain data in, plain data out, no ORM. One ``ItemBook`` holds everything about one item (all its
costing units, FIFO layers, and the open receipt/delivery lines that invoices and returns take parts of),
because every rule of the contract that crosses costing units stays inside one item. Events are applied
in move order (date, time, order of posting, line); each returns the results of the document lines it
settles and the stock moves it makes. The method modules (fifo, moving, monthly) supply the units.
"""
from dataclasses import dataclass, field
from fractions import Fraction

from .arith import part, rfrac
from .errors import CostError

# event kinds
OPEN, RECEIPT, PINV, PRET, DELIV, SINV, SRET, XFER, COUNT, SCRAP, CLOSE = (
    "open", "receipt", "pinv", "pret", "deliv", "sinv", "sret", "xfer", "count", "scrap", "close")
PRED, SRED = "pred", "sred"  # red invoices (红字发票), docs/contract-extensions.md
RED_KINDS = (PRED, SRED)

# stable movement codes (design.md)
MOVE_CODES = {
    "purchase_receipt": 101, "sales_return": 102, "transfer_in": 103, "count_gain": 104, "opening": 105,
    "purchase_return": 201, "sales_delivery": 202, "transfer_out": 203, "count_loss": 204, "scrap": 205,
    "price_difference": 301, "cost_adjustment": 302,
}


@dataclass(slots=True)  # never changed once built; not frozen: that costs 3× to build, and a replay builds 100,000s
class Event:
    key: tuple  # move order: (date iso, time iso, posting order, line)
    kind: str
    doc: int  # document id
    line: int  # document line (1-based); 0 for a period close
    period: int  # YYYYMM of the event (a close: the month it closes)
    wh: int | None = None
    qty: int = 0  # base units × 10000
    amount: int = 0  # 分: a receipt's value, a line's net
    ref: str | None = None  # "doc:line" of the receipt/delivery line referred to
    to: int | None = None  # transfer destination
    unit_cost: Fraction | None = None  # a count's given unit cost, 分 per 1/10000 base unit


@dataclass(slots=True)
class Move:
    doc: int
    line: int
    sub: int
    wh: int
    code: int
    qty: int  # signed
    value: int | None  # signed 分; None while pending (monthly average)


@dataclass(slots=True)
class Outcome:
    results: dict = field(default_factory=dict)  # (doc, line) -> {name: int | None}
    moves: list = field(default_factory=list)


def lkey(doc: int, line: int) -> str:
    return f"{doc}:{line}"


def frac_dump(f: Fraction | None):
    return None if f is None else [f.numerator, f.denominator]


def frac_load(v) -> Fraction | None:
    return None if v is None else Fraction(v[0], v[1])


class LineStore:
    """The open receipt or delivery lines of an item, which invoices and returns take parts of.

    Complete (every open line in ``data``: a snapshot, a replay from scratch) or lazy (``loader(key)``
    fetches a line when an event refers to it), so that the item's state does not grow with its history.
    ``changed`` and ``deleted`` tell the caller what to write back."""

    def __init__(self, data: dict | None = None, loader=None):
        self.data: dict[str, dict] = dict(data or {})
        self.loader = loader
        self.changed: set[str] = set()
        self.deleted: set[str] = set()
        # lines fully taken during this run, kept in memory only while the run has red invoices (which may
        # open them again): {key: accumulator}
        self.keep_gone = False
        self.gone: dict[str, dict] = {}

    @property
    def complete(self) -> bool:
        return self.loader is None

    def get(self, key: str) -> dict | None:
        """The line's accumulator (the caller may change it: it is marked changed)."""
        acc = self.data.get(key)
        if acc is None and self.loader is not None and key not in self.deleted:
            acc = self.loader(key)
            if acc is not None:
                self.data[key] = acc
        if acc is not None:
            self.changed.add(key)
        return acc

    def __setitem__(self, key: str, acc: dict):
        self.data[key] = acc
        self.changed.add(key)
        self.deleted.discard(key)

    def __delitem__(self, key: str):
        acc = self.data.pop(key, None)
        if self.keep_gone and acc is not None:
            self.gone[key] = acc
        self.changed.discard(key)
        self.deleted.add(key)

    def reopen(self, key: str, rebuild, before) -> dict | None:
        """A line a red invoice opens again: open (stored or in memory), fully taken earlier in this run
        (``gone``), or fully taken before the run — then ``rebuild(key, before)`` reconstructs it from the
        stored documents (final: a fully taken line cannot change until a red invoice opens it)."""
        acc = self.data.get(key)
        if acc is None and self.loader is not None and key not in self.deleted:
            acc = self.loader(key)
        if acc is None:
            acc = self.gone.pop(key, None)
        if acc is None and rebuild is not None:
            acc = rebuild(key, before)
        if acc is not None:
            self[key] = acc
        return acc


class ItemBook:
    method = ""

    def __init__(self, state: dict | None = None, loaders: dict | None = None):
        """``state``: the stored state (a snapshot carries its open lines under "rl"/"dl"); ``loaders``:
        {"r": fn, "d": fn} fetching one open line by key, for a state stored without its lines."""
        s = state or {}
        loaders = loaders or {}
        self.qty: dict[int, int] = {int(k): v for k, v in s.get("qty", {}).items()}
        # receipt lines: q received, a 220202 amount, tq/ta taken by invoices+returns, ret returned qty
        self.rl = LineStore(s.get("rl"), loaders.get("r"))
        # delivery lines: q delivered, a 112202 amount, tq/ta taken, c cost, rq/rc returned qty/cost, p month
        self.dl = LineStore(s.get("dl"), loaders.get("d"))
        self.last = tuple(s["last"]) if s.get("last") else None
        # red invoices: fetch a fully taken line ("R" receipt, "D" delivery) or a blue invoice line ("I")
        # from the stored documents, fn(key, before event key)
        self.rebuild = {k: loaders[k] for k in ("R", "D", "I") if k in loaders}
        self.blue: dict[str, dict] = {}  # blue invoice lines seen in this run: {key: {r, q, P, rq, rp}}
        self.track = False
        self._on: dict = {}  # event kind → its handler (bound once, not looked up per event)
        # a replay that knows every event it will apply may open only the receipt/delivery lines they refer to
        # (their keys): a line no event of the run takes a part of stays as its document line says, and
        # needs no accumulator (stock/service.py, "open receipt/delivery lines"); None: every line
        self.keep: set[str] | None = None
        self.load(s)

    def track_red(self, on: bool = True):
        """Keep what red invoices of this run need: fully taken lines and blue invoice lines in memory."""
        self.track = on
        self.rl.keep_gone = self.dl.keep_gone = on

    # -- persistence -------------------------------------------------------------------------
    def load(self, s: dict):
        pass

    def dump(self) -> dict:
        """The state without the open lines (they are stored one row each, see LineStore)."""
        return {"method": self.method, "qty": {str(k): v for k, v in self.qty.items() if v},
                "last": list(self.last) if self.last else None, **self.dump_units()}

    def dump_lines(self) -> dict:
        """The open lines of a complete book: {"rl": {...}, "dl": {...}}."""
        assert self.rl.complete and self.dl.complete
        return {"rl": self.rl.data, "dl": self.dl.data}

    def dump_units(self) -> dict:
        return {}

    # -- dispatch ----------------------------------------------------------------------------
    def apply(self, ev: Event) -> Outcome:
        out = Outcome({}, [])
        self._sub = 0
        on = self._on.get(ev.kind)
        if on is None:
            on = self._on[ev.kind] = getattr(self, f"on_{ev.kind}")
        on(ev, out)
        if ev.kind != CLOSE:
            self.last = ev.key
        return out

    def move(self, out: Outcome, ev: Event, wh: int, code: str, qty: int, value: int | None, line: int | None = None):
        out.moves.append(Move(ev.doc, ev.line if line is None else line, self._sub, wh, MOVE_CODES[code], qty, value))
        self._sub += 1

    def take_qty(self, wh: int, q: int, ev: Event):
        have = self.qty.get(wh, 0)
        if have < q:
            raise CostError("negative_stock", f"仓库库存不足：结存 {have / 10000:g}，需要 {q / 10000:g}", (ev.doc, ev.line))
        self.qty[wh] = have - q

    def put_qty(self, wh: int, q: int):
        self.qty[wh] = self.qty.get(wh, 0) + q

    # -- parts of lines (contract 3: "Parts of a line") ------------------------------------------
    @staticmethod
    def take_part(acc: dict, q: int, ev: Event | None = None, code: str = "") -> int:
        """The part of a line's amount that q of its units take; the completing part takes the rest. The
        quantity limit holds at every point of move order (with red invoices a line may be open again only
        from the red invoice on)."""
        if ev is not None and acc["tq"] + q > acc["q"]:
            raise CostError(code, f"原单行在此日期可开票或退货的数量为 {(acc['q'] - acc['tq']) / 10000:g}，本行 {q / 10000:g} 超出"
                                  f"（红字发票恢复的数量从红字发票的日期起才可用）", (ev.doc, ev.line))
        if acc["tq"] + q >= acc["q"]:
            p = acc["a"] - acc["ta"]
        else:
            p = part(acc["a"], q, acc["q"])
        acc["tq"] += q
        acc["ta"] += p
        return p

    def receipt_line(self, ev: Event, code: str = "unknown_reference") -> dict:
        acc = self.rl.get(ev.ref)
        if acc is None:  # the handler found the line: here it is fully taken at this point of move order
            raise CostError(code, f"入库单行在此日期已全部开票或退货", (ev.doc, ev.line))
        return acc

    def delivery_line(self, ev: Event, code: str = "unknown_reference") -> dict:
        acc = self.dl.get(ev.ref)
        if acc is None:
            raise CostError(code, f"出库单行在此日期已全部开票或退货", (ev.doc, ev.line))
        return acc

    # -- events common to every method -------------------------------------------------------
    def on_open(self, ev, out):
        self.put_qty(ev.wh, ev.qty)
        self.receive(ev, out, ev.wh, ev.qty, ev.amount, origin=None)
        self.move(out, ev, ev.wh, "opening", ev.qty, ev.amount)

    def on_receipt(self, ev, out):
        self.put_qty(ev.wh, ev.qty)
        key = lkey(ev.doc, ev.line)
        if self.keep is None or key in self.keep:
            self.rl[key] = {"wh": ev.wh, "q": ev.qty, "a": ev.amount, "tq": 0, "ta": 0, "ret": 0, "p": ev.period}
        self.receive(ev, out, ev.wh, ev.qty, ev.amount, origin=key)
        self.move(out, ev, ev.wh, "purchase_receipt", ev.qty, ev.amount)
        out.results[(ev.doc, ev.line)] = {"value": ev.amount}

    def on_pinv(self, ev, out):
        acc = self.receipt_line(ev, "invoice_exceeds_receipt")
        p = self.take_part(acc, ev.qty, ev, "invoice_exceeds_receipt")
        diff = ev.amount - p
        stock, cogs = self.invoice_difference(ev, out, acc, diff) if diff else (0, 0)
        out.results[(ev.doc, ev.line)] = {"P": p, "stock": stock, "cogs": cogs}
        if self.track:
            self.blue[lkey(ev.doc, ev.line)] = {"r": ev.ref, "q": ev.qty, "P": p, "rq": 0, "rp": 0}
        self._prune_receipt(ev.ref, acc)

    # -- red invoices (红字发票): a red line cancels q of a blue invoice line --------------------------
    def blue_line(self, ev: Event) -> dict:
        b = self.blue.get(ev.ref)
        if b is None and "I" in self.rebuild:
            b = self.rebuild["I"](ev.ref, ev.key)
            if b is not None:
                self.blue[ev.ref] = b
        if b is None:
            raise CostError("unknown_reference", f"蓝字发票行 {ev.ref} 不在本存货的账上", (ev.doc, ev.line))
        return b

    def red_part(self, ev: Event) -> tuple[dict, int]:
        """The blue line and the part of its P this red line gives back (parts of a line: the red part
        completing the blue line takes what is left)."""
        b = self.blue_line(ev)
        if b["rq"] + ev.qty > b["q"]:
            raise CostError("red_exceeds_original", "红字发票数量超过原蓝字发票行未冲销的数量", (ev.doc, ev.line))
        rp = b["P"] - b["rp"] if b["rq"] + ev.qty == b["q"] else part(b["P"], ev.qty, b["q"])
        b["rq"] += ev.qty
        b["rp"] += rp
        return b, rp

    def _reopen(self, store: LineStore, kind: str, key: str, ev: Event, q: int, p: int) -> dict:
        acc = store.reopen(key, self.rebuild.get(kind), ev.key)
        if acc is None:
            raise CostError("unknown_reference", f"原单行 {key} 不在本存货的账上", (ev.doc, ev.line))
        acc["tq"] -= q
        acc["ta"] -= p
        return acc

    def on_pred(self, ev, out):
        b, rp = self.red_part(ev)
        acc = self._reopen(self.rl, "R", b["r"], ev, ev.qty, rp)
        diff = rp - ev.amount  # the blue's difference part, reversed: a negative invoice difference
        r_ev = Event(ev.key, ev.kind, ev.doc, ev.line, ev.period, ev.wh, ev.qty, ev.amount, b["r"])
        stock, cogs = self.invoice_difference(r_ev, out, acc, diff) if diff else (0, 0)
        out.results[(ev.doc, ev.line)] = {"P": rp, "stock": stock, "cogs": cogs}

    def on_sred(self, ev, out):
        b, rp = self.red_part(ev)
        self._reopen(self.dl, "D", b["r"], ev, ev.qty, rp)
        out.results[(ev.doc, ev.line)] = {"P": rp}

    def on_pret(self, ev, out):
        acc = self.receipt_line(ev, "return_exceeds_original")
        p = self.take_part(acc, ev.qty, ev, "return_exceeds_original")
        value = self.purchase_return(ev, out, acc, p)
        acc["ret"] += ev.qty
        out.results[(ev.doc, ev.line)] = {"P": p, "value": value}
        self._prune_receipt(ev.ref, acc)

    def _prune_receipt(self, ref, acc):
        if acc["tq"] >= acc["q"] and not self.keeps_layers_of(ref):
            del self.rl[ref]

    def keeps_layers_of(self, ref) -> bool:
        return False

    def on_deliv(self, ev, out):
        self.take_qty(ev.wh, ev.qty, ev)
        cost = self.issue(ev, out, ev.wh, ev.qty)
        key = lkey(ev.doc, ev.line)
        if self.keep is None or key in self.keep:
            self.dl[key] = {"wh": ev.wh, "q": ev.qty, "a": ev.amount, "tq": 0, "ta": 0, "c": cost, "rq": 0, "rc": 0,
                            "p": ev.period}
        self.move(out, ev, ev.wh, "sales_delivery", -ev.qty, None if cost is None else -cost)
        out.results[(ev.doc, ev.line)] = {"cost": cost}

    def on_sinv(self, ev, out):
        acc = self.delivery_line(ev, "invoice_exceeds_delivery")
        p = self.take_part(acc, ev.qty, ev, "invoice_exceeds_delivery")
        out.results[(ev.doc, ev.line)] = {"P": p}
        if self.track:
            self.blue[lkey(ev.doc, ev.line)] = {"r": ev.ref, "q": ev.qty, "P": p, "rq": 0, "rp": 0}
        self._prune_delivery(ev.ref, acc)

    def on_sret(self, ev, out):
        acc = self.delivery_line(ev, "return_exceeds_original")
        p = self.take_part(acc, ev.qty, ev, "return_exceeds_original")
        self.put_qty(acc["wh"], ev.qty)
        value = self.sales_return(ev, out, acc)
        out.results[(ev.doc, ev.line)] = {"P": p, "cost": value}
        self._prune_delivery(ev.ref, acc)

    def _prune_delivery(self, ref, acc):
        if acc["tq"] >= acc["q"] and not self.keeps_delivery(acc):
            del self.dl[ref]

    def keeps_delivery(self, acc) -> bool:
        return False

    @staticmethod
    def return_cost_part(acc: dict, q: int, total: int) -> int:
        """The part of a delivery line's cost a sales return receives (Q = ``total``); ``rq``/``rc`` count
        the returns that took a part so far (a monthly same-month return nets the issue instead)."""
        if acc["rq"] + q >= total:
            v = acc["c"] - acc["rc"]
        else:
            v = part(acc["c"], q, total)
        acc["rq"] += q
        acc["rc"] += v
        return v

    def on_xfer(self, ev, out):
        self.take_qty(ev.wh, ev.qty, ev)
        self.put_qty(ev.to, ev.qty)
        value = self.transfer(ev, out)
        out.results[(ev.doc, ev.line)] = {"value": value}

    def on_scrap(self, ev, out):
        self.take_qty(ev.wh, ev.qty, ev)
        cost = self.issue(ev, out, ev.wh, ev.qty)
        self.move(out, ev, ev.wh, "scrap", -ev.qty, None if cost is None else -cost)
        out.results[(ev.doc, ev.line)] = {"cost": cost}

    def on_count(self, ev, out):
        book = self.qty.get(ev.wh, 0)
        diff = ev.qty - book  # ev.qty is the counted quantity
        if diff > 0:
            unit = ev.unit_cost if ev.unit_cost is not None else self.count_unit_cost(ev)
            if unit is None:
                raise CostError("unknown_cost", "盘盈存货无法确定单位成本，请填写 unit_cost", (ev.doc, ev.line))
            value = rfrac(diff * unit)
            self.put_qty(ev.wh, diff)
            self.receive(ev, out, ev.wh, diff, value, origin=None, gain=True)
            self.move(out, ev, ev.wh, "count_gain", diff, value)
            out.results[(ev.doc, ev.line)] = {"diff": diff, "value": value}
        elif diff < 0:
            self.take_qty(ev.wh, -diff, ev)
            cost = self.issue(ev, out, ev.wh, -diff)
            self.move(out, ev, ev.wh, "count_loss", diff, None if cost is None else -cost)
            out.results[(ev.doc, ev.line)] = {"diff": diff, "value": None if cost is None else -cost}
        else:
            out.results[(ev.doc, ev.line)] = {"diff": 0, "value": 0}

    def on_close(self, ev, out):
        pass

    # -- what each method supplies ---------------------------------------------------------------
    def receive(self, ev, out, wh, qty, value, origin, gain=False):
        raise NotImplementedError

    def issue(self, ev, out, wh, qty) -> int | None:
        raise NotImplementedError

    def transfer(self, ev, out) -> int | None:
        raise NotImplementedError

    def purchase_return(self, ev, out, acc, p) -> int:
        raise NotImplementedError

    def invoice_difference(self, ev, out, acc, diff) -> tuple[int, int]:
        raise NotImplementedError

    def sales_return(self, ev, out, acc) -> int | None:
        raise NotImplementedError

    def count_unit_cost(self, ev) -> Fraction | None:
        raise NotImplementedError

    # -- reading ----------------------------------------------------------------------------
    def unit_values(self) -> dict[int, int] | None:
        """Value per warehouse now (fifo, moving); None for monthly average."""
        return None
