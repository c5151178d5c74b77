"""The demo company's reconciliation material: what finance's 金蝶 and the warehouse's WMS would hand over.

- ``金蝶KIS_会计分录序时簿_<month>.xlsx`` — the last whole month's vouchers as 金蝶 KIS exports its
  会计分录序时簿 (header on row 1, 日期/会计期间/凭证字号 on the first line of each voucher only, ``记 - 12``
  numbers, dotted account codes, the document ref in 参考信息), made from Stockbook's own vouchers, then
  the differences a real month has: a delivery finance has not booked (no invoice yet), a receipt booked
  in the next month, an invoice booked twice, a scrap keyed 1000× too large, a write-down booked in
  finance only and a typing mistake nobody can explain.
- ``WMS库存_<date>.csv`` — the WMS stock list (仓库,物料编码,数量,单位) of two warehouses with a missing row,
  an extra row, a count difference, a quantity in the wrong unit and the big receipt waiting for approval.

Both files are written under var/demo/ (so users can upload them again) and reconciled through the same
service the web and REST use (saved runs); then the difference cases are synced.
"""
import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from stockbook.core.money import from_fen, to_qty_units


def kingdee_code(code: str) -> str:
    """Stockbook 220202 → 金蝶 2202.02 (a level-1 code stays as it is)."""
    return code if len(code) <= 4 else code[:4] + "." + ".".join(code[i:i + 2] for i in range(4, len(code), 2))


def kis_journal(month_first: date, until: date) -> tuple[bytes, list[str]]:
    """The 会计分录序时簿 xlsx and a description of each planted difference."""
    from openpyxl import Workbook

    from stockbook.ledger.models import Voucher, VoucherLine
    from stockbook.posting.models import DocumentLine

    month_end = (month_first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    vouchers = list(Voucher.objects.filter(date__gte=month_first, date__lte=until).exclude(kind=Voucher.OPENING)
                    .select_related("document").order_by("date", "id"))
    lines = defaultdict(list)
    for ln in VoucherLine.objects.filter(voucher__in=vouchers).select_related("account").order_by("id"):
        lines[ln.voucher_id].append(ln)
    docs = {v.document_id: v.document for v in vouchers if v.document_id}
    invoiced = set(DocumentLine.objects.filter(document__type="sales_invoice", document__date__lte=month_end)
                   .values_list("ref_document_id", flat=True))

    def first(pred):
        return next((d for d in sorted(docs.values(), key=lambda d: (d.date, d.id)) if pred(d)), None)

    not_booked = first(lambda d: d.type == "sales_delivery" and d.date <= month_end and d.date.day >= 20 and d.id not in invoiced)
    late = first(lambda d: d.type == "purchase_receipt" and month_end - timedelta(days=3) <= d.date <= month_end)
    twice = first(lambda d: d.type == "purchase_invoice" and d.date <= month_end and d.date.day >= 10)
    scaled = first(lambda d: d.type in ("scrap", "sales_delivery") and d.date <= month_end and d not in (not_booked,) and d.date.day < 20)
    typo = first(lambda d: d.type == "purchase_receipt" and d.date <= month_end and d.date.day < 15 and d is not late)
    notes = []
    for d, what in ((not_booked, "已出库未开票、财务未记账"), (late, "入库单财务记在下月"), (twice, "采购发票记了两次"),
                    (scaled, "金额按错误单位录入（1000 倍）"), (typo, "金额录入错误（无法解释，应留待人工）")):
        if d is not None:
            notes.append(f"{d.ref}：{what}")
    wb = Workbook()
    ws = wb.active
    ws.title = "会计分录序时簿"
    ws.append(["审核", "过账", "日期", "会计期间", "凭证字号", "摘要", "科目代码", "科目名称", "币别", "借方", "贷方", "制单", "参考信息"])
    numbers = defaultdict(int)

    def emit(d: date, summary: str, rows: list, ref: str):
        numbers[d.year * 100 + d.month] += 1
        no = f"记 - {numbers[d.year * 100 + d.month]}"
        for n, (code, name, debit, credit) in enumerate(rows):
            head = n == 0
            ws.append(["√" if head else "", "√" if head else "", d.isoformat() if head else "", f"{d.year}.{d.month}" if head else "",
                       no if head else "", summary, kingdee_code(code), name, "人民币", from_fen(debit) if debit else 0,
                       from_fen(credit) if credit else 0, "王会计" if head else "", ref])

    for v in vouchers:
        d = docs.get(v.document_id)
        if d is not None and d is not_booked:
            continue
        rows = [(ln.account.code, ln.account.name, ln.debit, ln.credit) for ln in lines[v.id]]
        when = v.date
        if d is not None and d is late:
            when = month_end + timedelta(days=2)
        if d is not None and d is scaled:
            rows = [(c, nm, dr * 1000, cr * 1000) for c, nm, dr, cr in rows]
        if d is not None and d is typo:
            rows = [(c, nm, dr + 10000 if dr else 0, cr + 10000 if cr else 0) for c, nm, dr, cr in rows]
        ref = d.ref if d is not None else ""
        emit(when, v.memo or (d.ref if d else ""), rows, ref)
        if d is not None and d is twice:
            emit(when, (v.memo or d.ref) + "（重复）", rows, ref)
    # a write-down finance booked on its own: ledger down, stock unchanged
    emit(month_end, "计提存货跌价（财务自行处理）", [("5401", "主营业务成本", 1234500, 0), ("1405", "库存商品", 0, 1234500)], "")
    notes.append("月末一笔只在财务记账的存货核销 12,345.00")
    total = ["", "", "", "", "", "合计", "", "", "", "", "", "", ""]
    ws.append(total)  # the 合计 row a KIS export ends with (no 科目代码: readers drop it)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), notes


def wms_stock(as_of: date, pending_ref: str | None = None) -> tuple[bytes, list[str]]:
    """The WMS stock list of the first two warehouses as of ``as_of``, with planted differences."""
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.core.money import fmt_qty
    from stockbook.masterdata.models import ItemUnit, Warehouse
    from stockbook.reports.stock_balance import balances

    whs = list(Warehouse.objects.filter(active=True).order_by("code")[:2])
    rows = [r for r in balances(as_of, warehouse_ids={w.pk for w in whs}) if r["qty"] > 0]
    notes = []
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["仓库", "物料编码", "数量", "单位"])
    pending = None
    if pending_ref:
        req = ApprovalRequest.objects.filter(ref=pending_ref, status=ApprovalRequest.PENDING).first()
        if req is not None:
            import json

            pending = json.loads(req.payload)
    extra_qty = {}
    if pending:
        for ln in pending.get("lines", []):
            extra_qty[(pending["warehouse"], ln["item"])] = ln["qty"]
    units = {}
    for u in ItemUnit.objects.filter(item_id__in={r["item"].pk for r in rows}).order_by("id"):
        if u.factor > 1:
            units.setdefault(u.item_id, u.factor.normalize())
    scaled_at = next((n for n, r in enumerate(rows) if n > 7 and r["item"].pk in units), None)
    for n, r in enumerate(rows):
        key = (r["warehouse"].code, r["item"].code)
        qty = r["qty"]
        if n == 3:
            notes.append(f"{key[0]} {key[1]}：WMS 漏了这一行")
            continue
        if n == 5:
            qty -= 30000  # 3 units fewer on the shelf
            notes.append(f"{key[0]} {key[1]}：实物少 3 {r['item'].uom}")
        text = fmt_qty(qty)
        if n == scaled_at:
            factor = units[r["item"].pk]
            text = fmt_qty(int(qty * factor))
            notes.append(f"{key[0]} {key[1]}：数量按换算单位录错（{factor:f} 倍）")
        if key in extra_qty:
            text = fmt_qty(qty + to_qty_units(Decimal(extra_qty[key])))
            notes.append(f"{key[0]} {key[1]}：WMS 已收货，入库单 {pending_ref} 还在审批")
        w.writerow([key[0], key[1], text, r["item"].uom])
    if rows:
        w.writerow([whs[-1].code, "ZZ-样品", "5", "件"])
        notes.append(f"{whs[-1].code} ZZ-样品：账上没有的物料")
    return out.getvalue().encode("utf-8-sig"), notes


def demo_reconciliation(today: date, pending_ref: str | None = None, out=None) -> list[str]:
    """Write the two files, reconcile them (saved runs), sync the difference cases. Returns lines to print."""
    from stockbook.external.models import ExternalRun
    from stockbook.external.service import run_gl, run_wms

    if ExternalRun.objects.filter(source="demo").exists():  # loaded before: the demo is idempotent
        return ["已载入（跳过）"]
    d = Path(settings.VAR_DIR) / "demo"
    d.mkdir(parents=True, exist_ok=True)
    month_first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    until = today.replace(day=1) + timedelta(days=4)
    printed = []
    data, notes = kis_journal(month_first, until)
    name = f"金蝶KIS_会计分录序时簿_{month_first.year}年{month_first.month}月.xlsx"
    (d / name).write_bytes(data)
    res = run_gl(data, date_from=month_first, date_to=until, file_name=name, source="demo")
    printed.append(f"外部总账 {name}：{res['summary']['rows_read']} 行，{len(res['rows'])} 处差异（{'；'.join(notes)}）")
    data, notes = wms_stock(today, pending_ref)
    name = f"WMS库存_{today.isoformat()}.csv"
    (d / name).write_bytes(data)
    res = run_wms(data, as_of=today, file_name=name, source="demo")
    printed.append(f"WMS 库存 {name}：{len(res['rows'])} 处差异，{len(res['errors'])} 行错误（{'；'.join(notes)}）")
    from stockbook.cases.service import sync

    from stockbook.cases.external import sync_external

    from stockbook.cases.models import Case

    s = sync(today)
    sync_external()  # (a saved run already synced them after its commit; this makes sure)
    open_cases = Case.objects.exclude(status=Case.CLOSED)
    n_ext = open_cases.filter(pair_key__startswith="extgl:").count() + open_cases.filter(pair_key__startswith="wms:").count()
    printed.append(f"差异工单：本系统账 {open_cases.count() - n_ext} 个（截至 {s['as_of']}），外部对账 {n_ext} 个，均待确认；"
                   f"自动签核 {len(s['certified'])} 项")
    printed.append(f"文件在 {d}")
    return printed

