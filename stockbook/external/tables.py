"""Bytes of an uploaded file → sheets of rows (lists of cell values).

csv/txt: UTF-8 (with or without BOM), else GBK (GB18030); comma, tab or semicolon separated.
xlsx: every sheet (its XML read directly; openpyxl for anything unusual), cached values.
xls: old Excel (BIFF, what 金蝶 KIS and 旺店通 export), every sheet (xlrd); date cells become dates, whole numbers
ints (as in an xlsx).
dbf: a dBase table (金蝶 KIS 凭证引入/引出, dbfread): one sheet, row 1 the field names; text in the file's code page
(GB18030 unless it names a Chinese one), padding trimmed; records marked deleted (the file's flag or KIS's
``FDELETED``) left out.
Anything that is not a table raises ``FileRejected``.
"""
import csv
import io
import struct
import zipfile
from datetime import time as dt_time

from .values import text


class FileRejected(Exception):
    """The whole file is unusable (exit status 2 / HTTP 422, nothing saved)."""

    def __init__(self, message, code="invalid_value"):
        super().__init__(message)
        self.code = code
        self.message = message


MAX_BYTES = 200 * 1024 * 1024


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRejected("文件编码无法识别：请使用 UTF-8 或 GBK 编码的 CSV，或 xlsx 文件")


def read_sheets(data: bytes, filename: str = "") -> list[tuple[str, list[list]]]:
    if not data:
        raise FileRejected("文件为空")
    if len(data) > MAX_BYTES:
        raise FileRejected("文件过大（超过 200 MB）")
    if data[:4] == b"PK\x03\x04":
        return _xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE2 compound file: old Excel
        return _xls(data)
    if filename.lower().endswith(".dbf") or _looks_like_dbf(data):
        return _dbf(data)
    if b"\x00" in data[:4096]:
        raise FileRejected("文件不是表格（CSV、xlsx、xls 或 dbf）")
    return [("", _csv(decode(data)))]


def _csv(s: str) -> list[list]:
    first = next((ln for ln in s.splitlines() if ln.strip()), "")
    if first.startswith("填制凭证"):
        delim = ","
    else:
        counts = {d: first.count(d) for d in (",", "\t", ";")}
        delim = max(counts, key=counts.get)
        if counts[delim] == 0:
            delim = ","
    try:
        rows = list(csv.reader(io.StringIO(s, newline=""), delimiter=delim))
    except csv.Error as e:
        raise FileRejected(f"CSV 格式错误：{e}")
    return rows


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RNS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _col(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


def _number(t: str):
    if t.lstrip("-").isdigit():
        return int(t)
    return float(t)


def _xlsx(data: bytes) -> list[tuple[str, list[list]]]:
    """Sheets of an xlsx file, read straight from its XML (several times faster than openpyxl on 100,000
    rows); anything unusual falls back to openpyxl."""
    try:
        return _xlsx_fast(data)
    except Exception:  # noqa: BLE001 - an odd but valid workbook: let openpyxl try
        return _xlsx_openpyxl(data)


def _xlsx_fast(data: bytes) -> list[tuple[str, list[list]]]:
    from xml.etree.ElementTree import fromstring, iterparse

    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    shared = []
    if "xl/sharedStrings.xml" in names:
        with zf.open("xl/sharedStrings.xml") as f:
            for _ev, el in iterparse(f):
                if el.tag == _NS + "si":
                    shared.append("".join(t.text or "" for t in el.iter(_NS + "t")))
                    el.clear()
    wb = fromstring(zf.read("xl/workbook.xml"))
    rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = []
    for sh in wb.iter(_NS + "sheet"):
        title = sh.get("name")
        if title == "t_Schema":  # K/3 标准凭证 metadata sheet
            continue
        target = targets[sh.get(_RNS + "id")].lstrip("/")
        path = target if target.startswith("xl/") else "xl/" + target
        rows: list[list] = []
        with zf.open(path) as f:
            for _ev, el in iterparse(f):
                if el.tag != _NS + "row":
                    continue
                rn = int(el.get("r") or len(rows) + 1)
                while len(rows) < rn - 1:
                    rows.append([])
                row: list = []
                for c in el.iter(_NS + "c"):
                    ref, t = c.get("r"), c.get("t")
                    i = _col(ref) if ref else len(row)
                    if t == "inlineStr":
                        v = "".join(x.text or "" for x in c.iter(_NS + "t"))
                    else:
                        ve = c.find(_NS + "v")
                        if ve is None or ve.text is None:
                            continue
                        raw = ve.text
                        if t == "s":
                            v = shared[int(raw)]
                        elif t in ("str", "e", "d"):
                            v = raw
                        elif t == "b":
                            v = raw == "1"
                        else:
                            v = _number(raw)
                    while len(row) < i:
                        row.append(None)
                    row.append(v)
                rows.append(row)
                el.clear()
        out.append((title, rows))
    return out


def _xlsx_openpyxl(data: bytes) -> list[tuple[str, list[list]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as e:
        raise FileRejected(f"无法读取 xlsx 文件：{str(e)[:100]}")
    out = []
    try:
        for ws in wb.worksheets:
            if ws.title == "t_Schema":  # K/3 标准凭证 metadata sheet
                continue
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            out.append((ws.title, rows))
    finally:
        wb.close()
    return out


def _xls(data: bytes) -> list[tuple[str, list[list]]]:
    """Sheets of an old Excel (BIFF) file: text, numbers (whole ones as int), dates (date or datetime), booleans;
    empty and error cells None."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as e:  # noqa: BLE001 - a damaged file fails anywhere in xlrd (CompDocError, struct.error, …)
        raise _xls_rejected(e)
    out = []
    try:
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            if sh.name == "t_Schema":  # K/3 标准凭证 metadata sheet
                continue
            rows = []
            for r in range(sh.nrows):
                row = []
                for c in sh.row(r):
                    row.append(_xls_value(c, book.datemode))
                while row and row[-1] is None:
                    row.pop()
                rows.append(row)
            out.append((sh.name, rows))
    except Exception as e:  # noqa: BLE001 - as above
        raise _xls_rejected(e)
    finally:
        book.release_resources()
    return out


def _xls_rejected(e: Exception) -> FileRejected:
    if "encrypted" in str(e).lower():
        return FileRejected("这个 xls 文件设置了密码：请在 Excel 中取消密码后另存为 .xlsx 或 CSV 再上传")
    return FileRejected(f"无法读取 xls 文件（文件可能已损坏：{str(e)[:80]}）：请在 Excel 中另存为 .xlsx 或 CSV 后再上传")


def _xls_value(cell, datemode):
    import xlrd

    t, v = cell.ctype, cell.value
    if t == xlrd.XL_CELL_TEXT:
        return v
    if t == xlrd.XL_CELL_NUMBER:
        return int(v) if v.is_integer() else v
    if t == xlrd.XL_CELL_DATE:
        try:
            d = xlrd.xldate.xldate_as_datetime(v, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return v  # a serial number out of range: to_date says what is wrong with it
        return d.date() if d.time() == dt_time(0) else d
    if t == xlrd.XL_CELL_BOOLEAN:
        return bool(v)
    return None  # empty, blank, error


# dBase version bytes: III, III with memo, IV, FoxPro, Visual FoxPro (with autoincrement / varchar)
_DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x7B, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB}


def _looks_like_dbf(data: bytes) -> bool:
    """A dBase header: a known version byte, a last-update date, a header length that holds whole 32-byte
    field descriptors, and exactly as many bytes as its records need."""
    if len(data) < 65 or data[0] not in _DBF_VERSIONS:
        return False
    _y, m, d = data[1], data[2], data[3]
    n, hlen, rlen = struct.unpack("<IHH", data[4:12])
    if not (1 <= m <= 12 and 1 <= d <= 31 and hlen >= 65 and rlen >= 2):
        return False
    body = len(data) - hlen
    return body in (n * rlen, n * rlen + 1) and data[32:hlen].find(b"\x0d") >= 0


# dBase language driver ids of the Chinese code pages → Python codecs. Any other (none, or a Western one a writer
# copied from its template) is read as GB18030: KIS files are written in GBK whatever their header says.
_DBF_CODEPAGES = {0x4D: "gbk", 0x7A: "gbk", 0x78: "big5", 0x4F: "big5"}


def _dbf(data: bytes) -> list[tuple[str, list[list]]]:
    """A dBase table as one sheet: the field names, then one row per record (deleted ones left out)."""
    import os
    import tempfile

    from dbfread import DBF
    from dbfread.exceptions import DBFNotFound, MissingMemoFile

    if len(data) < 33:
        raise FileRejected("无法读取 dbf 文件：文件不完整")
    encoding = _DBF_CODEPAGES.get(data[29], "gb18030")
    fd, path = tempfile.mkstemp(suffix=".dbf")  # dbfread reads a file by its name
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            table = DBF(path, encoding=encoding, char_decode_errors="strict", ignore_missing_memofile=True)
            names = list(table.field_names)
            rows: list[list] = [names]
            deleted = next((i for i, n in enumerate(names) if n.upper() == "FDELETED"), None)
            for rec in table:
                row = [_dbf_value(v) for v in rec.values()]
                if deleted is not None and row[deleted]:
                    continue
                rows.append(row)
        except UnicodeDecodeError:
            raise FileRejected("dbf 文件的文字编码无法识别（应为 GBK）")
        except (ValueError, struct.error, EOFError, DBFNotFound, MissingMemoFile, KeyError, IndexError) as e:
            raise FileRejected(f"无法读取 dbf 文件：{str(e)[:100]}")
    finally:
        os.unlink(path)
    return [("", rows)]


def _dbf_value(v):
    """A dBase value as the sheet readers give it: text trimmed (fields are space-padded), whole numbers as int
    (KIS writes 凭证号 and 分录号 as floats: 3.0), dates as dates."""
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, bytes):
        return None
    return v


def is_blank(row) -> bool:
    return all(c is None or (isinstance(c, str) and not text(c)) for c in row)
