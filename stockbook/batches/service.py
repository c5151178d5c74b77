"""Batch rules: FEFO picking, the posting/void hooks that write batch and serial moves.

The hooks read a document's stock moves (``StockMove`` rows the core has just written) and split every
move of a batch-managed item over batches, so Σ batch balances = stock qty of (item, warehouse) holds by
construction. Extension fields on lines (docs/batches.md): ``batch``, ``expiry``, ``production_date``,
``serials`` and, on counts, ``batches`` ([{"batch", "counted_qty"}]).
"""
from collections import defaultdict
from datetime import date, timedelta

from django.db import connection
from django.db.models import Sum

from stockbook.core.errors import DocError

from .models import VOID_SUB, Batch, BatchBalance, BatchMove, ItemPolicy, Serial, SerialMove

STOCK_DOC_TYPES = ["opening_stock", "purchase_receipt", "purchase_return", "sales_delivery", "sales_return",
                   "transfer", "stock_count", "scrap"]
OPENING_BATCH = "OPENING"  # 期初批次: opening stock of a batch-managed item given without a batch
UNIT = 10000


def _id(x):
    return getattr(x, "pk", x)


def policies(item_ids) -> dict:
    """{item_id: ItemPolicy} of the given items that are batch- or serial-managed (one query)."""
    ids = {i for i in item_ids if i}
    if not ids:
        return {}
    from django.db.models import Q

    return {p.item_id: p for p in ItemPolicy.objects.filter(item_id__in=ids).filter(Q(batch_managed=True) | Q(serial_managed=True))}


def is_batch_managed(item) -> bool:
    return ItemPolicy.objects.filter(item_id=_id(item), batch_managed=True).exists()


def is_expired(batch, on_date) -> bool:
    """A batch is usable through its expiry date (有效期至 that day inclusive) and expired after it."""
    return batch.expiry is not None and batch.expiry < on_date


def _available_batches(item_id, wh_id, on_date, include_expired=False, lock=False):
    qs = BatchBalance.objects.filter(item_id=item_id, warehouse_id=wh_id, qty__gt=0).select_related("batch")
    if lock:
        qs = qs.select_for_update()
    rows = [b for b in qs if include_expired or not is_expired(b.batch, on_date)]
    far = date.max
    rows.sort(key=lambda b: (b.batch.expiry or far, b.batch.created_at, b.batch_id))
    return rows


def fefo_pick(item, warehouse, qty_base, on_date, *, include_expired=False) -> list[tuple[str, int]]:
    """Batches to issue ``qty_base`` (1/10000 base units) of ``item`` from ``warehouse`` on ``on_date``:
    earliest expiry first (no expiry last), then the oldest batch; batches expired on ``on_date`` are
    skipped. Raises DocError batch_insufficient when the non-expired batches cannot cover it."""
    out, left = [], int(qty_base)
    for bal in _available_batches(_id(item), _id(warehouse), on_date, include_expired):
        if left <= 0:
            break
        take = min(left, bal.qty)
        out.append((bal.batch.code, take))
        left -= take
    if left > 0:
        raise DocError("batch_insufficient", f"未过期批次结存不足，还差 {left / UNIT:g}")
    return out


# ---------------------------------------------------------------- posting
class _Writer:
    def __init__(self, doc, first_sub=None):
        self.doc = doc
        self.subs = defaultdict(int)
        if first_sub:
            self.subs.update(first_sub)
        self.rows = []

    def move(self, line, item_id, wh_id, batch, qty):
        if not qty:
            return
        bal, _ = BatchBalance.objects.select_for_update().get_or_create(item_id=item_id, warehouse_id=wh_id, batch=batch)
        if bal.qty + qty < 0:
            raise DocError("batch_insufficient", f"批次 {batch.code} 结存不足（结存 {bal.qty / UNIT:g}，需 {-qty / UNIT:g}）",
                           line=line)
        BatchBalance.objects.filter(pk=bal.pk).update(qty=bal.qty + qty)
        sub = self.subs[line]
        self.subs[line] += 1
        self.rows.append(BatchMove(document=self.doc, line=line, sub=sub, item_id=item_id, warehouse_id=wh_id,
                                   batch=batch, qty=qty, date=self.doc.date))

    def flush(self):
        if self.rows:
            BatchMove.objects.bulk_create(self.rows)


def _raw_lines(ctx):
    lines = ctx.obj.get("lines") if isinstance(ctx.obj, dict) else None
    return lines if isinstance(lines, list) else []


def _ext(raw, i, key):
    if 0 <= i - 1 < len(raw) and isinstance(raw[i - 1], dict):
        return raw[i - 1].get(key)
    return None


def _parse_day(v, key, line):
    if v is None:
        return None
    try:
        return date.fromisoformat(v) if isinstance(v, str) and len(v) == 10 else _bad()
    except (ValueError, TypeError):
        raise DocError("invalid_value", f"{key} 必须是 YYYY-MM-DD 格式的日期", field=key, line=line) from None


def _bad():
    raise ValueError


def _code(v, line, key="batch"):
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip() or len(v) > 64:
        raise DocError("invalid_value", "批次号必须是 1 至 64 个字符的文本", field=key, line=line)
    return v.strip()


def _get_batch(item_id, code, line):
    b = Batch.objects.filter(item_id=item_id, code=code).first()
    if b is None:
        raise DocError("unknown_batch", f"批次 {code} 不存在", field="batch", line=line)
    return b


def on_post(ctx, doc, vouchers):
    from stockbook.posting.models import DocumentLine
    from stockbook.stock.models import StockMove

    with connection.cursor() as cur:  # the common case, one plain query: no batch- or serial-managed item here
        cur.execute(f"SELECT p.item_id FROM {ItemPolicy._meta.db_table} p WHERE (p.batch_managed OR p.serial_managed) "
                    f"AND p.item_id IN (SELECT item_id FROM {DocumentLine._meta.db_table} WHERE document_id = %s)", [doc.pk])
        managed = [r[0] for r in cur.fetchall()]
    if not managed:
        return
    pol = policies(managed)
    raw = _raw_lines(ctx)
    lines = list(doc.lines.select_related("item"))
    byline = {ln.line_no: ln for ln in lines}
    moves = defaultdict(list)
    for line, sub, item_id, wh_id, qty in (StockMove.objects.filter(document=doc, sub__lt=VOID_SUB, item_id__in=list(pol))
                                          .order_by("line", "sub").values_list("line", "sub", "item_id", "warehouse_id", "qty")):
        moves[line].append((item_id, wh_id, qty))
    w = _Writer(doc)
    for line_no, ln in sorted(byline.items()):
        p = pol.get(ln.item_id)
        if p is None:
            continue
        mv = moves.get(line_no, [])
        if p.batch_managed:
            _batch_line(ctx, doc, w, raw, ln, p, mv)
        if p.serial_managed:
            _serial_line(doc, raw, ln, mv)
    w.flush()
    resync_counts([i for i, p in pol.items() if p.batch_managed], doc.date, exclude=doc.pk)


def _batch_line(ctx, doc, w, raw, ln, p, mv):
    n = ln.line_no
    code = _code(_ext(raw, n, "batch"), n)
    t = doc.type
    if t in ("purchase_receipt", "opening_stock"):
        if code is None:
            if t == "purchase_receipt":
                raise DocError("invalid_value", f"存货 {ln.item.code} 实行批次管理，入库必须填写批次号（batch）", field="batch", line=n)
            code = OPENING_BATCH
        expiry = _parse_day(_ext(raw, n, "expiry"), "expiry", n)
        prod = _parse_day(_ext(raw, n, "production_date"), "production_date", n)
        if expiry is None and prod is not None and p.shelf_life_days:
            expiry = prod + timedelta(days=p.shelf_life_days)
        batch = _receive_batch(ln.item_id, code, expiry, prod, doc, n)
        for item_id, wh_id, qty in mv:
            w.move(n, item_id, wh_id, batch, qty)
        return
    if t == "transfer":
        out = [m for m in mv if m[2] < 0]
        inn = [m for m in mv if m[2] > 0]
        parts = []
        for item_id, wh_id, qty in out:
            parts += _issue(doc, w, n, item_id, wh_id, -qty, code, refuse_expired=True)
        for item_id, wh_id, qty in inn:
            for batch, q in parts:
                w.move(n, item_id, wh_id, batch, q)
        return
    if t in ("sales_delivery", "scrap"):
        for item_id, wh_id, qty in mv:
            if qty < 0:
                _issue(doc, w, n, item_id, wh_id, -qty, code, refuse_expired=(t == "sales_delivery"))
        return
    if t == "purchase_return":
        for item_id, wh_id, qty in mv:
            if code is not None:
                _issue(doc, w, n, item_id, wh_id, -qty, code, refuse_expired=False)
            else:
                _return_to_supplier(doc, w, ln, item_id, wh_id, -qty)
        return
    if t == "sales_return":
        for item_id, wh_id, qty in mv:
            if code is not None:
                w.move(n, item_id, wh_id, _get_batch(item_id, code, n), qty)
            else:
                _return_from_customer(doc, w, ln, item_id, wh_id, qty)
        return
    if t == "stock_count":
        _count_line(ctx, doc, w, raw, ln, mv, code)


def _receive_batch(item_id, code, expiry, prod, doc, n):
    b = Batch.objects.filter(item_id=item_id, code=code).first()
    if b is None:
        return Batch.objects.create(item_id=item_id, code=code, expiry=expiry, production_date=prod,
                                    supplier_id=doc.supplier_id, first_receipt=doc)
    if expiry is not None and b.expiry != expiry:
        raise DocError("invalid_value", f"批次 {code} 已登记有效期 {b.expiry or '无'}，与本单 {expiry} 不一致", field="expiry", line=n)
    return b


def _issue(doc, w, n, item_id, wh_id, qty, code, *, refuse_expired, include_expired=False):
    """Issue ``qty`` (> 0) from the given batch, or FEFO; returns [(batch, qty)] taken."""
    if code is not None:
        b = _get_batch(item_id, code, n)
        if refuse_expired and is_expired(b, doc.date):
            raise DocError("batch_expired", f"批次 {code} 已于 {b.expiry} 过期，不能出库或调拨", field="batch", line=n)
        w.move(n, item_id, wh_id, b, -qty)
        return [(b, qty)]
    parts, left = [], qty
    for bal in _available_batches(item_id, wh_id, doc.date, include_expired=not refuse_expired or include_expired, lock=True):
        if left <= 0:
            break
        take = min(left, bal.qty)
        w.move(n, item_id, wh_id, bal.batch, -take)
        parts.append((bal.batch, take))
        left -= take
    if left > 0:
        raise DocError("batch_insufficient", f"未过期批次结存不足，还差 {left / UNIT:g}", field="batch", line=n)
    return parts


def _return_to_supplier(doc, w, ln, item_id, wh_id, qty):
    """A purchase return goes out of the batch(es) its receipt line received, as far as they still hold."""
    n = ln.line_no
    got = (BatchMove.objects.filter(document_id=ln.ref_document_id, line=ln.ref_line, qty__gt=0, sub__lt=VOID_SUB)
           .values_list("batch_id", flat=True).distinct())
    left = qty
    for bal in BatchBalance.objects.select_for_update().filter(item_id=item_id, warehouse_id=wh_id, batch_id__in=list(got), qty__gt=0).select_related("batch").order_by("batch_id"):
        take = min(left, bal.qty)
        w.move(n, item_id, wh_id, bal.batch, -take)
        left -= take
        if left <= 0:
            break
    if left > 0 and not list(got):  # received before batch management: its stock is in INIT, then anywhere (FEFO)
        init = BatchBalance.objects.select_for_update().filter(item_id=item_id, warehouse_id=wh_id, batch__code=INIT_BATCH,
                                                                 qty__gt=0).select_related("batch").first()
        if init is not None:
            take = min(left, init.qty)
            w.move(n, item_id, wh_id, init.batch, -take)
            left -= take
        if left > 0:
            _issue(doc, w, n, item_id, wh_id, left, None, refuse_expired=False, include_expired=True)
            left = 0
    if left > 0:
        raise DocError("batch_insufficient", "原入库批次结存不足，不能退货", field="batch", line=n)


def _return_from_customer(doc, w, ln, item_id, wh_id, qty):
    """A sales return goes back into the batches the delivery line took, latest expiry first, each up to
    what it gave minus what earlier returns of that line already put back."""
    from stockbook.posting.models import DocumentLine

    n = ln.line_no
    gave = defaultdict(int)
    for b, q in BatchMove.objects.filter(document_id=ln.ref_document_id, line=ln.ref_line).values_list("batch_id", "qty"):
        gave[b] -= q
    prior = DocumentLine.objects.filter(ref_document_id=ln.ref_document_id, ref_line=ln.ref_line,
                                        document__type="sales_return").exclude(document=doc).values_list("document_id", "line_no")
    for d, l in prior:
        for b, q in BatchMove.objects.filter(document_id=d, line=l).values_list("batch_id", "qty"):
            gave[b] -= q
    batches = {b.pk: b for b in Batch.objects.filter(pk__in=[k for k, v in gave.items() if v > 0])}
    left = qty
    for b in sorted(batches.values(), key=lambda b: (b.expiry or date.max, b.pk), reverse=True):
        take = min(left, gave[b.pk])
        w.move(n, item_id, wh_id, b, take)
        left -= take
        if left <= 0:
            break
    if left > 0:  # the delivery had no batch record (e.g. before batch management): one return batch
        b, _ = Batch.objects.get_or_create(item_id=item_id, code=f"RT-{doc.ref}"[:64], defaults={"first_receipt": doc})
        w.move(n, item_id, wh_id, b, left)


def _count_line(ctx, doc, w, raw, ln, mv, code):
    n = ln.line_no
    per = _ext(raw, n, "batches")
    if not mv and per is not None:  # no difference in total, but batches may still differ
        mv = [(ln.item_id, ln.warehouse_id or doc.warehouse_id, 0)]
    for item_id, wh_id, qty in mv:
        if per is not None:
            _count_batches(doc, w, n, item_id, wh_id, qty, per, raw)
        elif code is not None:
            if qty > 0:
                b = Batch.objects.filter(item_id=item_id, code=code).first() or _receive_batch(
                    item_id, code, _parse_day(_ext(raw, n, "expiry"), "expiry", n), None, doc, n)
                w.move(n, item_id, wh_id, b, qty)
            else:
                w.move(n, item_id, wh_id, _get_batch(item_id, code, n), qty)
        elif qty > 0:
            b, _ = Batch.objects.get_or_create(item_id=item_id, code=f"PD-{doc.ref}"[:64], defaults={"first_receipt": doc})
            w.move(n, item_id, wh_id, b, qty)
        else:
            _issue(doc, w, n, item_id, wh_id, -qty, None, refuse_expired=False, include_expired=True)


def _count_batches(doc, w, n, item_id, wh_id, qty, per, raw):
    from stockbook.core.money import parse_qty, to_qty_units

    if not isinstance(per, list) or not all(isinstance(x, dict) for x in per):
        raise DocError("invalid_value", "batches 必须是 [{batch, counted_qty}] 列表", field="batches", line=n)
    counted = {}
    for x in per:
        c = _code(x.get("batch"), n)
        if c is None or c in counted:
            raise DocError("invalid_value", "batches 中批次号缺失或重复", field="batches", line=n)
        counted[c] = to_qty_units(parse_qty(x.get("counted_qty"), "counted_qty", allow_zero=True))
    book = {bal.batch.code: bal for bal in BatchBalance.objects.filter(item_id=item_id, warehouse_id=wh_id).select_related("batch")}
    total_book = sum(b.qty for b in book.values())
    if sum(counted.values()) != total_book + qty:
        raise DocError("invalid_value", "各批次盘点数量之和必须等于该行盘点数量", field="batches", line=n)
    for c, bal in book.items():
        if c not in counted and bal.qty:
            w.move(n, item_id, wh_id, bal.batch, -bal.qty)
    for c, q in counted.items():
        bal = book.get(c)
        diff = q - (bal.qty if bal else 0)
        if diff:
            b = bal.batch if bal else Batch.objects.filter(item_id=item_id, code=c).first() or Batch.objects.create(
                item_id=item_id, code=c, first_receipt=doc)
            w.move(n, item_id, wh_id, b, diff)


def resync_counts(item_ids, since, exclude=None):
    """A count's gain or loss is counted − book qty at its place in move order, so a document posted
    before it (backdated) or voided changes the count's stock moves. Bring the count's batch moves in line:
    a larger gain (or smaller loss) goes into the count's batch PD-<ref>, a smaller gain comes out of it
    first and then FEFO (expired batches included, as for any count loss)."""
    from stockbook.posting.models import Document
    from stockbook.stock.models import StockMove

    if not item_ids or since is None:
        return
    stock = defaultdict(int)
    for d, line, i, wh, q in (StockMove.objects.filter(item_id__in=item_ids, date__gte=since, document__type="stock_count")
                              .exclude(document_id=exclude).values_list("document_id", "line", "item_id", "warehouse_id")
                              .annotate(q=Sum("qty")).order_by()):
        stock[(d, line, i, wh)] += q or 0
    batch = defaultdict(int)
    subs = defaultdict(int)
    for d, line, i, wh, q in (BatchMove.objects.filter(item_id__in=item_ids, date__gte=since, document__type="stock_count")
                              .exclude(document_id=exclude).values_list("document_id", "line", "item_id", "warehouse_id")
                              .annotate(q=Sum("qty")).order_by()):
        batch[(d, line, i, wh)] += q or 0
    for d, line, top in (BatchMove.objects.filter(item_id__in=item_ids, date__gte=since, document__type="stock_count", sub__lt=VOID_SUB)
                         .values_list("document_id", "line").annotate(top=models_max("sub")).order_by()):
        subs[(d, line)] = top + 1
    diffs = {k: stock[k] - batch[k] for k in set(stock) | set(batch) if stock[k] != batch[k]}
    if not diffs:
        return
    docs = {d.pk: d for d in Document.objects.filter(pk__in={k[0] for k in diffs})}
    for (d, line, i, wh), diff in sorted(diffs.items(), key=lambda kv: (docs[kv[0][0]].date, kv[0])):
        doc = docs[d]
        w = _Writer(doc, {line: subs[(d, line)]})
        pd, _ = Batch.objects.get_or_create(item_id=i, code=f"PD-{doc.ref}"[:64], defaults={"first_receipt": doc})
        if diff > 0:
            w.move(line, i, wh, pd, diff)
        else:
            bal = BatchBalance.objects.filter(item_id=i, warehouse_id=wh, batch=pd).first()
            take = min(-diff, bal.qty if bal else 0)
            if take:
                w.move(line, i, wh, pd, -take)
            if -diff - take:
                _issue(doc, w, line, i, wh, -diff - take, None, refuse_expired=False, include_expired=True)
        w.flush()
        subs[(d, line)] = w.subs[line]


def models_max(field):
    from django.db.models import Max

    return Max(field)


# ---------------------------------------------------------------- serials
def _serials(raw, n, qty_abs, required, item_code):
    s = _ext(raw, n, "serials")
    if s is None:
        if required:
            raise DocError("invalid_value", f"存货 {item_code} 实行序列号管理，必须填写序列号（serials）", field="serials", line=n)
        return None
    if not isinstance(s, list) or not all(isinstance(x, str) and x.strip() for x in s) or len(set(s)) != len(s):
        raise DocError("invalid_value", "serials 必须是不重复的序列号文本列表", field="serials", line=n)
    if len(s) * UNIT != qty_abs:
        raise DocError("invalid_value", f"序列号个数 {len(s)} 与数量 {qty_abs / UNIT:g} 不符", field="serials", line=n)
    return [x.strip() for x in s]


def _line_batch(raw, n, item_id):
    code = _ext(raw, n, "batch")
    return Batch.objects.filter(item_id=item_id, code=code.strip()).first() if isinstance(code, str) and code.strip() else None


def _serial_line(doc, raw, ln, mv):
    n, t = ln.line_no, doc.type
    for item_id, wh_id, qty in mv:
        if t == "transfer" and qty > 0:
            continue  # handled with the out move
        codes = _serials(raw, n, abs(qty), t in ("purchase_receipt", "sales_delivery"), ln.item.code)
        if codes is None:
            continue
        existing = {s.code: s for s in Serial.objects.select_for_update().filter(item_id=item_id, code__in=codes)}
        if qty > 0:  # in
            for c in codes:
                s = existing.get(c)
                if s is not None and s.status == Serial.IN:
                    raise DocError("invalid_value", f"序列号 {c} 已在库，不能重复入库", field="serials", line=n)
                if s is None:
                    if t == "sales_return":
                        raise DocError("invalid_value", f"序列号 {c} 不存在，不能退回", field="serials", line=n)
                    s = Serial.objects.create(item_id=item_id, code=c, warehouse_id=wh_id, status=Serial.IN, receipt=doc,
                                              batch=_line_batch(raw, n, item_id))
                else:
                    Serial.objects.filter(pk=s.pk).update(status=Serial.IN, warehouse_id=wh_id)
                SerialMove.objects.create(serial=s, document=doc, line=n, warehouse_id=wh_id, direction=1, date=doc.date)
        else:
            to_wh = ln.to_warehouse_id if t == "transfer" else None
            for c in codes:
                s = existing.get(c)
                if s is None or s.status != Serial.IN or s.warehouse_id != wh_id:
                    raise DocError("invalid_value", f"序列号 {c} 不在该仓库的库存中", field="serials", line=n)
                SerialMove.objects.create(serial=s, document=doc, line=n, warehouse_id=wh_id, direction=-1, date=doc.date)
                if to_wh:
                    Serial.objects.filter(pk=s.pk).update(warehouse_id=to_wh)
                    SerialMove.objects.create(serial=s, document=doc, line=n, warehouse_id=to_wh, direction=1, date=doc.date)
                else:
                    Serial.objects.filter(pk=s.pk).update(status=Serial.OUT)


# ---------------------------------------------------------------- void
def on_void(doc, user):
    rows = list(BatchMove.objects.filter(document=doc, sub__lt=VOID_SUB).select_related("batch").order_by("line", "sub"))
    if rows:
        w = _Writer(doc)
        for m in rows:  # the counter rows reuse the original (line, sub) + VOID_SUB
            bal = BatchBalance.objects.select_for_update().get(item_id=m.item_id, warehouse_id=m.warehouse_id, batch_id=m.batch_id)
            if bal.qty - m.qty < 0:
                raise DocError("batch_insufficient", f"批次 {m.batch.code} 已被后续单据领用，不能作废", line=m.line)
            BatchBalance.objects.filter(pk=bal.pk).update(qty=bal.qty - m.qty)
            w.rows.append(BatchMove(document=doc, line=m.line, sub=m.sub + VOID_SUB, item_id=m.item_id,
                                    warehouse_id=m.warehouse_id, batch_id=m.batch_id, qty=-m.qty, date=doc.date))
        w.flush()
    for sm in SerialMove.objects.filter(document=doc, void=False).select_related("serial").order_by("-id"):
        s = Serial.objects.select_for_update().get(pk=sm.serial_id)
        if sm.direction > 0:
            if s.status != Serial.IN or s.warehouse_id != sm.warehouse_id:
                raise DocError("batch_insufficient", f"序列号 {s.code} 已出库，不能作废", line=sm.line)
            Serial.objects.filter(pk=s.pk).update(status=Serial.OUT)
        else:
            Serial.objects.filter(pk=s.pk).update(status=Serial.IN, warehouse_id=sm.warehouse_id)
    SerialMove.objects.filter(document=doc).update(void=True)
    if doc.type in STOCK_DOC_TYPES and doc.date:
        managed = list(ItemPolicy.objects.filter(batch_managed=True, item_id__in=doc.lines.values("item_id")).values_list("item_id", flat=True))
        resync_counts(managed, doc.date, exclude=doc.pk)


# ---------------------------------------------------------------- turning batch management on
INIT_BATCH = "INIT"  # 启用批次管理时的结存: stock an item held before it was batch-managed


def set_policy(item, *, batch_managed=None, serial_managed=None, shelf_life_days=..., near_expiry_days=None, on_date=None):
    """Create or change an item's policy. Turning batch management on puts the stock the item already
    holds in each warehouse into batch INIT (no expiry, so FEFO issues it last), so Σ batches = stock from
    the first day; turning it off keeps the batch history. Idempotent."""
    from django.db import transaction

    with transaction.atomic():
        existing = ItemPolicy.objects.select_for_update().filter(item_id=_id(item)).first()
        was = bool(existing and existing.batch_managed)
        pol = existing or ItemPolicy(item_id=_id(item))
        if batch_managed is not None:
            pol.batch_managed = batch_managed
        if serial_managed is not None:
            pol.serial_managed = serial_managed
        if shelf_life_days is not ...:
            pol.shelf_life_days = shelf_life_days
        if near_expiry_days is not None:
            pol.near_expiry_days = near_expiry_days
        pol.save()
        if pol.batch_managed and not was:
            align(pol.item_id, on_date or date.today())
    return pol


def align(item_id, on_date):
    """Bring Σ batch balances of an item to its stock per warehouse through batch INIT (moves without a
    document): more stock than batches goes into INIT, less comes out of INIT and then FEFO."""
    from stockbook.stock.models import StockPeriod

    stock = {w: q or 0 for w, q in StockPeriod.objects.filter(item_id=item_id).values_list("warehouse_id").annotate(q=Sum("qty")).order_by()}
    held = {w: q or 0 for w, q in BatchBalance.objects.filter(item_id=item_id).values_list("warehouse_id").annotate(q=Sum("qty")).order_by()}
    for wh in sorted(set(stock) | set(held)):
        diff = stock.get(wh, 0) - held.get(wh, 0)
        if not diff:
            continue
        init, _ = Batch.objects.get_or_create(item_id=item_id, code=INIT_BATCH)
        parts = [(init, diff)] if diff > 0 else []
        if diff < 0:
            left = -diff
            for bal in _available_batches(item_id, wh, on_date, include_expired=True, lock=True):
                take = min(left, bal.qty)
                parts.append((bal.batch, -take))
                left -= take
                if not left:
                    break
        for batch, q in parts:
            bal, _ = BatchBalance.objects.select_for_update().get_or_create(item_id=item_id, warehouse_id=wh, batch=batch)
            BatchBalance.objects.filter(pk=bal.pk).update(qty=bal.qty + q)
            BatchMove.objects.create(document=None, line=0, sub=0, item_id=item_id, warehouse_id=wh, batch=batch, qty=q, date=on_date)


# ---------------------------------------------------------------- checks and queries
def check() -> list[dict]:
    """Differences between Σ batch balances and stock qty per (item, warehouse) of batch-managed items."""
    from stockbook.masterdata.models import Item, Warehouse
    from stockbook.stock.models import StockPeriod

    managed = list(ItemPolicy.objects.filter(batch_managed=True).values_list("item_id", flat=True))
    if not managed:
        return []
    stock = defaultdict(int)
    for i, wh, q in StockPeriod.objects.filter(item_id__in=managed).values_list("item_id", "warehouse_id").annotate(q=Sum("qty")):
        stock[(i, wh)] += q or 0
    bq = defaultdict(int)
    for i, wh, q in BatchBalance.objects.filter(item_id__in=managed).values_list("item_id", "warehouse_id").annotate(q=Sum("qty")):
        bq[(i, wh)] += q or 0
    items = dict(Item.objects.filter(pk__in=managed).values_list("pk", "code"))
    whs = dict(Warehouse.objects.values_list("pk", "code"))
    out = []
    for key in sorted(set(stock) | set(bq)):
        if stock[key] != bq[key]:
            out.append({"item": items[key[0]], "warehouse": whs[key[1]], "stock_qty": _q(stock[key]),
                        "batch_qty": _q(bq[key]), "difference": _q(bq[key] - stock[key])})
    return out


def _q(n: int) -> str:
    from stockbook.core.money import fmt_qty, from_qty_units

    return fmt_qty(from_qty_units(n))


def line_batches(doc) -> dict[int, list[dict]]:
    """{line_no: [{"batch", "expiry", "warehouse", "qty"}]} of a document's batch moves (void rows included)."""
    out = defaultdict(list)
    for m in BatchMove.objects.filter(document=doc).select_related("batch", "warehouse").order_by("line", "sub"):
        out[m.line].append({"batch": m.batch.code, "expiry": m.batch.expiry.isoformat() if m.batch.expiry else None,
                            "warehouse": m.warehouse.code, "qty": _q(m.qty), "void": m.sub >= VOID_SUB})
    return dict(out)
