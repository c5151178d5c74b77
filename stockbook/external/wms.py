"""Stock against a WMS export: book quantity of each (warehouse, item) as of a date vs the file's.

Book quantities come from the stock ledger in grouped queries (StockPeriod months + the as-of month's
moves, stockbook.reports.stock_balance._sums), never per row. A file row names a warehouse (code or name)
and an item (code or barcode), a quantity and optionally a unit (the item's base unit or one of its units,
吨/t, 公斤/千克/kg, 克/g written either way); rows of the same (warehouse, item) are added up (a WMS lists
lots and locations separately).

Causes, tried in this order for each (warehouse, item) whose quantities differ:
- ``unit_error``: book and external are both non-zero and one is the other times a unit factor of the
  item (1000 for 吨/公斤 …): the WMS counted in another unit than it says;
- ``unposted_document``: a draft document or a pending approval request dated ≤ as-of moves exactly the
  difference (``refs`` lists them);
- ``missing_in_books``: the books hold nothing there;
- ``missing_in_external``: the file has no row for it (only warehouses the file covers are compared);
- ``quantity_difference``: anything else.
``difference`` = book − external, in base units.
"""
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from stockbook.core.money import fmt_qty
from stockbook.masterdata.models import Barcode, Item, ItemUnit, Warehouse

from .values import BadValue, decimal, qty_units, text

UNIT_ALIASES = {"吨": "t", "公吨": "t", "t": "t", "ton": "t", "tons": "t", "千克": "kg", "公斤": "kg", "kg": "kg", "kgs": "kg",
                "克": "g", "g": "g", "升": "l", "l": "l", "毫升": "ml", "ml": "ml", "米": "m", "m": "m", "个": "个", "件": "件",
                "pcs": "pcs", "pc": "pcs"}
TOTAL_WORDS = ("合计", "总计", "小计")
WEIGHT = {"t": 1000 * 1000, "kg": 1000, "g": 1}  # grams


def unit_key(u: str) -> str:
    u = text(u).lower()
    return UNIT_ALIASES.get(u, u)


class Catalog:
    """Items, warehouses and units loaded once (a handful of queries for any file size)."""

    def __init__(self, user=None):
        from stockbook.access.policy import warehouse_ids

        self.items = {}
        self.item_by_id = {}
        for pk, code, uom in Item.objects.values_list("pk", "code", "uom"):
            self.items[code] = (pk, code, uom)
            self.item_by_id[pk] = (pk, code, uom)
        self.items_lower = {k.lower(): v for k, v in self.items.items()}
        self.barcodes = {c: self.item_by_id[i] for c, i in Barcode.objects.values_list("code", "item_id") if i in self.item_by_id}
        self.units = defaultdict(dict)  # item id → {unit key: Decimal factor}
        for item_id, name, factor in ItemUnit.objects.values_list("item_id", "name", "factor"):
            self.units[item_id][unit_key(name)] = Decimal(factor).normalize()
        self.whs = {}
        self.wh_by_id = {}
        self.wh_names = {}
        for pk, code, name in Warehouse.objects.values_list("pk", "code", "name"):
            self.whs[code] = (pk, code)
            self.wh_by_id[pk] = (pk, code)
            self.wh_names.setdefault(text(name), (pk, code))
        self.visible = warehouse_ids(user)

    def item(self, s):
        return self.items.get(s) or self.barcodes.get(s) or self.items_lower.get(s.lower())

    def warehouse(self, s):
        return self.whs.get(s) or self.wh_names.get(s)

    def factor(self, item, uom: str) -> Decimal | None:
        """How many base units one ``uom`` holds, None if the item has no such unit."""
        k = unit_key(uom)
        base = unit_key(item[2])
        if not k or k == base:
            return Decimal(1)
        f = self.units.get(item[0], {}).get(k)
        if f is not None:
            return f
        if k in WEIGHT and base in WEIGHT:  # 吨 for an item kept in 公斤, with no unit defined
            return Decimal(WEIGHT[k]) / Decimal(WEIGHT[base])
        return None

    def unit_factors(self, item) -> set:
        out = {Fraction(f) for f in self.units.get(item[0], {}).values() if f and f != 1}
        base = unit_key(item[2])
        if base in WEIGHT:
            out |= {Fraction(WEIGHT[k], WEIGHT[base]) for k in WEIGHT if k != base}
        out |= {1 / f for f in list(out)}
        return out


def read_rows(prep, cat: Catalog, default_warehouse=None):
    """The file's rows → ({(wh_id, item_id): qty units}, stored rows, errors). Bad rows are errors
    ``{"row", "code", "message"}``; the good ones are kept."""
    totals: dict = defaultdict(int)
    stored, errors = [], []
    covered, bad_keys = set(), set()
    has_wh = "warehouse" in prep.columns
    for n, rec in prep.records():
        wh = item = None
        try:
            wh_text = text(rec.get("warehouse")) if has_wh else ""
            item_text = text(rec.get("item"))
            if not item_text and (not has_wh or not wh_text) and rec.get("qty") is None:
                continue
            if item_text in TOTAL_WORDS or wh_text in TOTAL_WORDS or (
                    not item_text and any(w in text(v) for v in rec.values() for w in TOTAL_WORDS)):
                continue  # a totals row (合计 / 总计 / 小计)
            if not item_text:
                raise BadValue("物料编码为空")
            if has_wh and wh_text:
                wh = cat.warehouse(wh_text)
                if wh is None:
                    raise BadValue(f"仓库“{wh_text[:40]}”不存在", "unknown_warehouse")
            elif default_warehouse is not None:
                wh = default_warehouse
            else:
                raise BadValue("仓库为空")
            if cat.visible is not None and wh[0] not in cat.visible:
                wh = None
                raise BadValue("仓库不在您的数据范围内", "not_allowed")
            covered.add(wh[0])
            item = cat.item(item_text)
            if item is None:
                raise BadValue(f"物料“{item_text[:40]}”不存在", "unknown_item")
            q = decimal(rec.get("qty"), "数量")
            if q is None:
                raise BadValue("数量为空")
            uom = text(rec.get("uom"))
            f = cat.factor(item, uom)
            if f is None:
                raise BadValue(f"物料 {item[1]} 没有单位“{uom[:20]}”（基本单位 {item[2]}）", "unknown_unit")
            units = qty_units(q * f)
        except BadValue as e:
            errors.append({"row": n, "code": e.code, "message": f"第 {n} 行：{e.message}"})
            if wh is not None and item is not None:
                bad_keys.add((wh[0], item[0]))
            continue
        totals[(wh[0], item[0])] += units
        stored.append((n, wh[1], item[1], units, uom))
    return totals, stored, errors, covered, bad_keys


def book_quantities(as_of, item_ids=None) -> dict:
    from stockbook.reports.stock_balance import _sums

    return {(r["warehouse_id"], r["item_id"]): r["q"] for r in _sums(as_of) if r["q"]}


def pending_effects(as_of, cat: Catalog, book: dict) -> dict:
    """{(wh_id, item_id): [(qty units, ref label)]} of draft documents and pending approval requests dated
    ≤ as_of (their interchange JSON)."""
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.posting.models import Document

    out: dict = defaultdict(list)
    sources = []
    for d in Document.objects.filter(status=Document.DRAFT).only("canonical", "type", "ref"):
        sources.append((d.canonical, f"{d.type}:{d.ref}"))
    for r in ApprovalRequest.objects.filter(status=ApprovalRequest.PENDING, kind=ApprovalRequest.KIND_DOCUMENT).only("payload", "doc_type", "ref"):
        sources.append((r.payload, f"{r.doc_type}:{r.ref}"))
    import json

    for raw, label in sources:
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(obj, dict) or str(obj.get("date", "")) > as_of.isoformat():
            continue
        for key, units in doc_effects(obj, cat, book).items():
            if units:
                out[key].append((units, label))
    return out


def _base(cat, item, line):
    q = decimal(line.get("qty") if "qty" in line else line.get("counted_qty"), "数量") or Decimal(0)
    f = cat.factor(item, text(line.get("uom"))) or Decimal(1)
    return qty_units(q * f)


def doc_effects(obj: dict, cat: Catalog, book: dict) -> dict:
    """What a not-yet-posted interchange document would do to stock: {(wh_id, item_id): units}."""
    from stockbook.posting.models import Document, DocumentLine

    t = obj.get("type")
    eff: dict = defaultdict(int)
    lines = obj.get("lines") if isinstance(obj.get("lines"), list) else []
    try:
        if t in ("purchase_receipt", "opening_stock", "sales_delivery", "scrap", "stock_count"):
            wh = cat.whs.get(text(obj.get("warehouse")))
            if wh is None:
                return {}
            sign = -1 if t in ("sales_delivery", "scrap") else 1
            for ln in lines:
                item = cat.items.get(text(ln.get("item")))
                if item is None:
                    continue
                units = _base(cat, item, ln)
                if t == "stock_count":
                    eff[(wh[0], item[0])] += units - book.get((wh[0], item[0]), 0)
                else:
                    eff[(wh[0], item[0])] += sign * units
        elif t == "transfer":
            src, dst = cat.whs.get(text(obj.get("from"))), cat.whs.get(text(obj.get("to")))
            for ln in lines:
                item = cat.items.get(text(ln.get("item")))
                if item is None or src is None or dst is None:
                    continue
                units = _base(cat, item, ln)
                eff[(src[0], item[0])] -= units
                eff[(dst[0], item[0])] += units
        elif t in ("purchase_return", "sales_return"):
            ref_type, ref_key, sign = (("purchase_receipt", "receipt", -1) if t == "purchase_return"
                                       else ("sales_delivery", "delivery", 1))
            doc = Document.objects.filter(type=ref_type, ref=text(obj.get(ref_key))).first()
            if doc is None:
                return {}
            by_no = {dl.line_no: dl for dl in DocumentLine.objects.filter(document=doc)}
            for ln in lines:
                dl = by_no.get(ln.get("line")) if isinstance(ln.get("line"), int) else None
                if dl is None or dl.item_id not in cat.item_by_id:
                    continue
                wh_id = dl.warehouse_id or doc.warehouse_id
                eff[(wh_id, dl.item_id)] += sign * _base(cat, cat.item_by_id[dl.item_id], ln)
    except BadValue:
        return {}
    return eff


def reconcile(prep, as_of, *, user=None, default_warehouse_code: str | None = None):
    """→ (rows, errors, stored rows, summary)."""
    cat = Catalog(user)
    default_wh = None
    if default_warehouse_code:
        default_wh = cat.warehouse(default_warehouse_code)
        if default_wh is None:
            from .tables import FileRejected

            raise FileRejected(f"默认仓库“{default_warehouse_code}”不存在", "unknown_warehouse")
        if cat.visible is not None and default_wh[0] not in cat.visible:
            from .tables import FileRejected

            raise FileRejected(f"仓库“{default_wh[1]}”不在您的数据范围内", "not_allowed")
    ext, stored, errors, covered, bad_keys = read_rows(prep, cat, default_wh)
    book = book_quantities(as_of)
    if default_wh is not None:
        covered.add(default_wh[0])
    keys = (set(ext) | {k for k in book if k[0] in covered}) - bad_keys
    pending = pending_effects(as_of, cat, book)
    rows = []
    for key in keys:
        b, e = book.get(key, 0), ext.get(key)
        if e is not None and b == e:
            continue
        e0 = e or 0
        item = cat.item_by_id[key[1]]
        refs = []
        p = pending.get(key, [])
        if b and e0 and Fraction(e0, b) in cat.unit_factors(item):
            cause = "unit_error"
        elif p and b + sum(u for u, _ in p) == e0:
            cause, refs = "unposted_document", sorted({lbl for _, lbl in p})
        elif b == 0:
            cause = "missing_in_books"
        elif e is None:
            cause = "missing_in_external"
        else:
            cause = "quantity_difference"
        row = {"warehouse": cat.wh_by_id[key[0]][1], "item": item[1], "book_qty": fmt_qty(b), "external_qty": fmt_qty(e0),
               "difference": fmt_qty(b - e0), "cause": cause}
        if refs:
            row["refs"] = refs
        rows.append(row)
    rows.sort(key=lambda r: (r["warehouse"], r["item"]))
    summary = {"rows_read": len(stored) + len(errors), "rows_ok": len(stored), "rows_bad": len(errors),
               "compared": len(keys), "differences": len(rows)}
    return rows, errors, stored, summary
