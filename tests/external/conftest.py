"""Books for external reconciliation tests, and builders of external files (csv in UTF-8/GBK, xlsx, dBase; the
old-Excel files are fixtures: fixtures/make_xls.py).

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
from pathlib import Path

import pytest


FIXTURES = Path(__file__).parent / "fixtures"


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


def dbf_bytes(fields, records, codepage=0x4D, deleted=()) -> bytes:
    """A dBase III table as 金蝶 KIS writes one. ``fields``: (name, type C/N/D/L, width, decimals); ``records``:
    tuples of Python values (str, or bytes as they are, int/float, date, bool, None); ``deleted``: indexes of records flagged deleted."""
    import struct
    from datetime import date

    rlen = 1 + sum(w for _, _, w, _ in fields)
    hlen = 32 + 32 * len(fields) + 1
    head = struct.pack("<B3BIHH", 0x03, 126, 1, 31, len(records), hlen, rlen) + bytes(17) + bytes([codepage]) + bytes(2)
    for name, typ, width, dec in fields:
        head += name.encode("ascii").ljust(11, b"\x00") + typ.encode("ascii") + bytes(4) + bytes([width, dec]) + bytes(14)
    head += b"\x0d"
    body = b""
    for i, rec in enumerate(records):
        body += b"*" if i in deleted else b" "
        for (_name, typ, width, dec), v in zip(fields, rec):
            if typ == "C":
                cell = (v if isinstance(v, bytes) else (v or "").encode("gbk")).ljust(width, b" ")
            elif typ == "N":
                cell = ("" if v is None else f"{v:.{dec}f}").encode("ascii").rjust(width, b" ")
            elif typ == "D":
                cell = (v.strftime("%Y%m%d") if isinstance(v, date) else " " * 8).encode("ascii")
            else:
                cell = b"T" if v else b"F"
            assert len(cell) == width, (typ, v)
            body += cell
    return head + body + b"\x1a"
