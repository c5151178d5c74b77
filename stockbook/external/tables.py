"""Bytes of an uploaded file → sheets of rows (lists of cell values).

csv/txt: UTF-8 (with or without BOM), else GBK (GB18030); comma, tab or semicolon separated.
xlsx: every sheet (openpyxl, read-only, cached values). Old .xls (BIFF) is refused with a sentence asking
for xlsx or csv (no xls reader is installed). Anything that is not a table raises ``FileRejected``.
"""
import csv
import io
import zipfile

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
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRejected("这是旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV 后再上传")
    if b"\x00" in data[:4096]:
        raise FileRejected("文件不是表格（CSV 或 xlsx）")
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


def _xlsx(data: bytes) -> list[tuple[str, list[list]]]:
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


def is_blank(row) -> bool:
    return all(c is None or (isinstance(c, str) and not text(c)) for c in row)
