"""Books for external reconciliation tests, and builders of external files (csv in UTF-8/GBK, xlsx).

Company (conftest ``company``): WH1 主仓, A001 铜线 kg with t = 1000 kg. Added here: WH2 二号仓, B002 螺丝
(pcs, box = 100 pcs), C003 电缆 (kg), barcode 6920000000017 for B002.

Stock on 2026-01-31 (``stocked``):
  WH1 A001 2000 kg (R-001 500 kg 2026-01-05 + R-002 1500 kg 2026-01-10)
  WH1 B002 300 pcs (R-003 3 boxes 2026-01-12)
  WH2 A001 100 kg  (TR-001 transfer of 100 kg from WH1 on 2026-01-15 → WH1 keeps 1900 kg)
  WH2 C003 50 kg   (R-004 2026-01-20)
"""
import csv
import io

import pytest


@pytest.fixture
def stocked(company, post_json):
    post_json({"type": "warehouse", "code": "WH2", "name": "二号仓"})
    post_json({"type": "item", "code": "B002", "name": "螺丝", "uom": "pcs", "units": {"box": "100"}, "tax_rate": "0.13"})
    post_json({"type": "item", "code": "C003", "name": "电缆", "uom": "kg", "tax_rate": "0.13"})
    from stockbook.masterdata.models import Barcode, Item

    Barcode.objects.create(item=Item.objects.get(code="B002"), code="6920000000017")
    post_json({"type": "purchase_receipt", "ref": "R-001", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "500", "unit_price": "50.00"}]})
    post_json({"type": "purchase_receipt", "ref": "R-002", "date": "2026-01-10", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "1.5", "uom": "t", "unit_price": "52000"}]})
    post_json({"type": "purchase_receipt", "ref": "R-003", "date": "2026-01-12", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "B002", "qty": "3", "uom": "box", "unit_price": "20.00"}]})
    post_json({"type": "transfer", "ref": "TR-001", "date": "2026-01-15", "from": "WH1", "to": "WH2",
               "lines": [{"item": "A001", "qty": "100"}]})
    post_json({"type": "purchase_receipt", "ref": "R-004", "date": "2026-01-20", "supplier": "S01", "warehouse": "WH2",
               "lines": [{"item": "C003", "qty": "50", "unit_price": "10.00"}]})
    return company


def csv_bytes(rows, encoding="utf-8", bom=False) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, title="Sheet1", extra_sheets=()) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(list(r))
    for name, rs in extra_sheets:
        w2 = wb.create_sheet(name)
        for r in rs:
            w2.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
