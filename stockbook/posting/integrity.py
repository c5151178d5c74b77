"""Is the database whole? The checks a crash (kill -9, power loss) must never break, because every
document is written in one transaction: used after the kill tests and by ``stockbook check``.

- voucher numbers gapless per (word, month), and the sequence row at the last number;
- every voucher balances, its totals equal its lines, and it has lines;
- PeriodBalance equals the sums of the voucher lines (the trial balance reads it);
- StockPeriod equals the sums of the stock moves (the stock balance reads it);
- every posted stock document with quantities has its moves, every line has its document;
- every voucher line's dimensions (customer, supplier, item, warehouse, department, document) exist (they carry
  no database constraint: ledger/models.py);
- re-costing from scratch gives what is stored (``recompute``);
- the reconcile report has no unexplained difference when no manual journal touched a control account.
Returns a list of sentences; [] when the books are whole."""
from django.db import connection
from django.db.models import Count, Max, Sum

from stockbook.ledger.models import PeriodBalance, Voucher, VoucherLine, VoucherSequence


def check(recost: bool = True) -> list[str]:
    out: list[str] = []
    out += _numbers()
    out += _vouchers()
    out += _period_balances()
    out += _stock()
    out += _dimensions()
    if recost:
        from stockbook.stock.revalue import recompute

        out += recompute()
    out += _reconcile()
    return out


def _reconcile() -> list[str]:
    from stockbook.masterdata.models import Company
    from stockbook.posting.models import Document
    from stockbook.reports.reconcile import reconcile

    if Company.current() is None:
        return []
    last = Document.objects.exclude(date=None).aggregate(m=Max("date"))["m"]
    if last is None:
        return []
    return [f"对账有未解释差异：{r['ledger']} {r['account']} {r['unexplained']}" for r in reconcile(last).data["rows"]
            if r["unexplained"] != "0.00"]


def _numbers() -> list[str]:
    out = []
    seq = {(s.word, s.period): s.last for s in VoucherSequence.objects.all()}
    for r in Voucher.objects.values("word", "period").annotate(n=Count("id"), top=Max("number")):
        key = (r["word"], r["period"])
        if r["n"] != r["top"]:
            out.append(f"凭证号不连续：{key} 共 {r['n']} 张，最大号 {r['top']}")
        if seq.get(key) != r["top"]:
            out.append(f"凭证号序列 {key} 为 {seq.get(key)}，最大凭证号 {r['top']}")
    return out


def _vouchers() -> list[str]:
    out = []
    sums = {r["voucher_id"]: (r["d"], r["c"]) for r in VoucherLine.objects.values("voucher_id").annotate(d=Sum("debit"), c=Sum("credit"))}
    for v in Voucher.objects.values_list("id", "word", "period", "number", "debit_total", "credit_total").iterator(chunk_size=5000):
        d, c = sums.get(v[0], (None, None))
        if d is None:
            out.append(f"凭证 {v[1:4]} 没有分录")
        elif not (d == c == v[4] == v[5]):
            out.append(f"凭证 {v[1:4]} 不平衡或合计不符：借 {d} 贷 {c} 合计 {v[4]}/{v[5]}")
    return out


DIMENSIONS = {"customer": "客户", "supplier": "供应商", "item": "存货", "warehouse": "仓库", "department": "部门", "document": "单据"}


def _dimensions() -> list[str]:
    """Voucher lines whose dimension refers to no record, per dimension (one pass over the lines)."""
    table = VoucherLine._meta.db_table
    joins, counts = [], []
    for n, name in enumerate(DIMENSIONS):
        field = VoucherLine._meta.get_field(name)
        joins.append(f"LEFT JOIN {field.related_model._meta.db_table} t{n} ON t{n}.id = vl.{field.column}")
        counts.append(f"SUM(CASE WHEN vl.{field.column} IS NOT NULL AND t{n}.id IS NULL THEN 1 ELSE 0 END)")
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(counts)} FROM {table} vl {' '.join(joins)}")
        row = cur.fetchone()
    return [f"有 {k} 条凭证分录的{label}不存在" for (name, label), k in zip(DIMENSIONS.items(), row) if k]


def _period_balances() -> list[str]:
    lines = {(r["account_id"], r["period"]): (r["d"], r["c"]) for r in
             VoucherLine.objects.values("account_id", "period").annotate(d=Sum("debit"), c=Sum("credit"))}
    stored = {(p.account_id, p.period): (p.debit, p.credit) for p in PeriodBalance.objects.all() if p.debit or p.credit}
    lines = {k: v for k, v in lines.items() if v != (0, 0)}
    if lines != stored:
        bad = sorted(set(lines.items()) ^ set(stored.items()))[:5]
        return [f"科目期间余额与凭证分录不符：{bad}"]
    return []


def _stock() -> list[str]:
    from stockbook.posting.models import Document, DocumentLine
    from stockbook.stock.models import StockMove, StockPeriod

    # the types whose every line with a quantity moves stock (invoices move only a price difference, a
    # count only its gains and losses)
    moving = ["opening_stock", "purchase_receipt", "purchase_return", "sales_delivery", "sales_return", "transfer", "scrap"]

    out = []
    with connection.cursor() as cur:
        cur.execute(f"""SELECT d.id, d.ref FROM {Document._meta.db_table} d WHERE d.status = 'posted' AND d.type IN
                        ({', '.join(['%s'] * len(moving))}) AND EXISTS (SELECT 1 FROM {DocumentLine._meta.db_table} l
                        WHERE l.document_id = d.id AND l.qty_base <> 0 AND l.item_id IS NOT NULL)
                        AND NOT EXISTS (SELECT 1 FROM {StockMove._meta.db_table} m WHERE m.document_id = d.id)""", moving)
        for doc_id, ref in cur.fetchall()[:5]:
            out.append(f"单据 {ref}（{doc_id}）有数量却没有库存流水")
        cur.execute(f"""SELECT COUNT(*) FROM {DocumentLine._meta.db_table} l LEFT JOIN {Document._meta.db_table} d
                        ON d.id = l.document_id WHERE d.id IS NULL""")
        if cur.fetchone()[0]:
            out.append("有单据行没有单据")
    moves = {(r["item_id"], r["warehouse_id"], r["date__year"] * 100 + r["date__month"]): (r["q"], r["v"] or 0) for r in
             StockMove.objects.values("item_id", "warehouse_id", "date__year", "date__month").annotate(q=Sum("qty"), v=Sum("value"))}
    moves = {k: v for k, v in moves.items() if v != (0, 0)}
    stored = {(p.item_id, p.warehouse_id, p.period): (p.qty, p.value) for p in StockPeriod.objects.all() if p.qty or p.value}
    if moves != stored:
        bad = sorted(set(moves.items()) ^ set(stored.items()))[:5]
        out.append(f"库存期间汇总与流水不符：{bad}")
    return out
