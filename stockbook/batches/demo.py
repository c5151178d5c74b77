"""Demo of 批次与效期 (the lead wires ``load(out)`` into stockbook/demo/load.py after the year of documents).

Three plastic raw materials become batch-managed (their stock so far goes into batch INIT), then, in the
current open month: a receipt with batches — HDPE lots HD2611A (expires in 14 days) and HD2610C (45 days)
near expiry, LDPE lot LD2510X already expired, HDPE lot HD2609B and ABS lot ABS2611 with the expiry derived
from production date + shelf life —, a delivery of 600 kg HDPE without a batch (FEFO: all 500 of HD2611A,
100 of HD2610C) and a transfer of ABS2611 to Hangzhou. Left for the alerts: HD2610C near expiry, LD2510X
expired.
Idempotent: the documents are posted with fixed refs (a second run finds them identical) and the policy
is only turned on once."""
from datetime import timedelta

from stockbook.core.errors import DocError
from stockbook.demo.days import live_day

POLICIES = [("SL002", 365, 60), ("SL003", 365, 60), ("SL005", 540, 60)]  # item, shelf life, near-expiry window (days)
SUPPLIER = "S005"
CUSTOMERS = ["C018", "C009", "C010", "C016", "C013"]  # the first whose credit limit admits the delivery


def load(out) -> list[str]:
    from stockbook.masterdata.models import Item, Warehouse
    from stockbook.posting.service import post

    from .service import check, set_policy

    if not Item.objects.filter(code__in=[c for c, _, _ in POLICIES]).count() == len(POLICIES) or \
            not Warehouse.objects.filter(code__in=["SH01", "HZ01"]).count() == 2:
        return ["批次演示：缺少示例存货或仓库，跳过"]
    day = live_day()
    for code, shelf, near in POLICIES:
        set_policy(Item.objects.get(code=code), batch_managed=True, shelf_life_days=shelf, near_expiry_days=near, on_date=day)
    d = day.isoformat()
    receipt = {"type": "purchase_receipt", "ref": "PH-RK-2611-01", "date": d, "supplier": SUPPLIER, "warehouse": "SH01",
               "memo": "批次演示：近效期与已过期批次", "lines": [
                   {"item": "SL002", "qty": "500", "unit_price": "8.40", "batch": "HD2611A",
                    "expiry": (day + timedelta(days=14)).isoformat()},
                   {"item": "SL002", "qty": "150", "unit_price": "8.40", "batch": "HD2610C",
                    "expiry": (day + timedelta(days=45)).isoformat()},
                   {"item": "SL002", "qty": "300", "unit_price": "8.40", "batch": "HD2609B",
                    "production_date": (day - timedelta(days=60)).isoformat()},
                   {"item": "SL003", "qty": "200", "unit_price": "9.10", "batch": "LD2510X",
                    "expiry": (day - timedelta(days=5)).isoformat()},
                   {"item": "SL005", "qty": "400", "unit_price": "11.20", "batch": "ABS2611",
                    "production_date": (day - timedelta(days=10)).isoformat()}]}
    transfer = {"type": "transfer", "ref": "PH-DB-2611-01", "date": d, "from": "SH01", "to": "HZ01",
                "lines": [{"item": "SL005", "qty": "100", "batch": "ABS2611"}]}
    lines, counts = [], {"posted": 0, "same": 0}

    def go(doc):
        res = post(doc, source="demo")
        counts["posted" if res.posted else "same"] += 1
        return res

    go(receipt)
    delivered = None
    for cust in CUSTOMERS:
        doc = {"type": "sales_delivery", "ref": "PH-CK-2611-01", "date": d, "customer": cust, "warehouse": "SH01",
               "memo": "批次演示：未指定批次，按先到期先出（FEFO）分配", "lines": [{"item": "SL002", "qty": "600", "unit_price": "10.50"}]}
        try:
            go(doc)
        except DocError as e:
            if e.code in ("credit_limit_exceeded", "duplicate_ref", "approval_required"):
                continue
            raise
        delivered = cust
        break
    go(transfer)
    diffs = check()
    lines.append(f"批次管理存货 {len(POLICIES)} 个（{'、'.join(c for c, _, _ in POLICIES)}），演示单据新过账 {counts['posted']} 张、"
                 f"已存在 {counts['same']} 张；FEFO 出库客户 {delivered or '无（信用额度）'}；批次与库存核对差异 {len(diffs)} 处")
    for s in lines:
        print(s, file=out)
    return lines
