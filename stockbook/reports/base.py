"""One report definition, many formats: json (the contract shape), table (terminal), csv, xlsx, pdf.

A report is a ``Report``: ``data`` is the contract JSON, ``columns`` and ``rows`` the tabular view
(cells already formatted strings or Decimals), ``title`` and ``subtitle`` for people.
"""
import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

FORMATS = ("json", "table", "csv", "xlsx", "pdf")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class Column:
    key: str
    title: str
    kind: str = "text"  # text | money | qty


@dataclass
class Report:
    name: str
    title: str
    data: dict
    columns: list[Column]
    rows: list[dict]
    subtitle: str = ""
    totals: dict | None = None
    links: dict = field(default_factory=dict)  # optional per-row drill-down urls, by row index

    def cells(self, row):
        return [("" if row.get(c.key) is None else str(row.get(c.key))) for c in self.columns]


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int, right: bool) -> str:
    gap = " " * (w - _width(s))
    return gap + s if right else s + gap


def render_table(rep: Report) -> str:
    head = [c.title for c in rep.columns]
    body = [rep.cells(r) for r in rep.rows]
    if rep.totals:
        body.append(rep.cells(rep.totals))
    widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(head)]
    right = [c.kind in ("money", "qty") for c in rep.columns]
    out = [rep.title + (f"  {rep.subtitle}" if rep.subtitle else "")]
    out.append("  ".join(_pad(h, w, r) for h, w, r in zip(head, widths, right)))
    out.append("  ".join("-" * w for w in widths))
    for row in body:
        out.append("  ".join(_pad(c, w, r) for c, w, r in zip(row, widths, right)))
    return "\n".join(out) + "\n"


def render_csv(rep: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.title for c in rep.columns])
    for r in rep.rows:
        w.writerow(rep.cells(r))
    if rep.totals:
        w.writerow(rep.cells(rep.totals))
    return "\ufeff" + buf.getvalue()  # BOM so that Excel opens Chinese text correctly


def _company_name() -> str:
    try:
        from stockbook.masterdata.models import Company

        c = Company.current()
        return c.name if c else ""
    except Exception:  # no database (e.g. rendering a report built by hand)
        return ""


def _css_string(text: str):
    """A CSS string literal for page margin boxes (inside <style>, where HTML escaping does not apply)."""
    from django.utils.safestring import mark_safe

    clean = "".join(ch for ch in text if ch >= " " and ch not in "<>")
    return mark_safe('"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"')


def _row_class(row: dict) -> str:
    """CSS class of a row in print: subtotal rows (本月合计/本年累计) and sub-accounts (level > 1)."""
    if row.get("kind") in ("month", "year", "opening", "total"):
        return "sub-total" if row["kind"] != "opening" else "opening"
    lvl = row.get("level")
    if isinstance(lvl, int) and lvl > 1:
        return f"level{min(lvl, 4)}"
    return ""


def _grouped(cell: str) -> str:
    """1234567.5 → 1,234,567.50 for print; text that is not a number is left alone."""
    try:
        d = Decimal(cell)
    except Exception:
        return cell
    return f"{d:,.2f}"


def render_xlsx(rep: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "".join(ch for ch in rep.title if ch not in "[]:*?/\\")[:31] or "report"
    ncol = max(1, len(rep.columns))
    ws.append([rep.title + (f"  {rep.subtitle}" if rep.subtitle else "")])
    ws["A1"].font = Font(bold=True, size=13)
    ws["A1"].alignment = Alignment(horizontal="center")
    if ncol > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.append([c.title for c in rep.columns])
    thin = Side(style="thin", color="999999")
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.fill = PatternFill("solid", fgColor="EEF2F7")
        cell.border = Border(bottom=thin)
    rows = list(rep.rows) + ([rep.totals] if rep.totals else [])
    widths = [_width(c.title) for c in rep.columns]
    dates = set()
    for r in rows:
        vals = []
        for i, c in enumerate(rep.columns):
            v = r.get(c.key)
            if v == "":
                v = None
            elif c.kind == "text" and isinstance(v, str) and _ISO_DATE.fullmatch(v):
                v = date.fromisoformat(v)  # a real date cell, shown as 2026-01-31
            elif c.kind in ("money", "qty") and v is not None:
                v = Decimal(str(v))  # openpyxl writes Decimal as an exact number cell
            vals.append(v)
            if v is not None:
                widths[i] = max(widths[i], _width(f"{v:,.2f}" if c.kind == "money" else str(v)))
                if isinstance(v, date):
                    dates.add(i + 1)
        ws.append(vals)
        if r is rep.totals or r.get("kind") in ("month", "year"):
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    for i, c in enumerate(rep.columns, 1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(8, min(60, widths[i - 1] + 2))
        if i in dates:
            for row in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                for cell in row:
                    cell.number_format = "yyyy-mm-dd"
        if c.kind in ("money", "qty"):
            fmt = "#,##0.00" if c.kind == "money" else "#,##0.####"
            for row in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                for cell in row:
                    if c.kind == "money":
                        cell.number_format = fmt
                    cell.alignment = Alignment(horizontal="right")
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_pdf(rep: Report) -> bytes:
    from django.template.loader import render_to_string

    from .pdf import html_to_pdf

    nums = [c.kind in ("money", "qty") for c in rep.columns]
    money = [c.kind == "money" for c in rep.columns]

    def cells(row):
        return [(_grouped(v) if m and v else v, n) for v, n, m in zip(rep.cells(row), nums, money)]

    body = [(cells(r), _row_class(r)) for r in rep.rows]
    totals = cells(rep.totals) if rep.totals else None
    html = render_to_string("reports/report_pdf.html", {
        "rep": rep, "head": list(zip(rep.columns, nums)), "body": body, "totals": totals,
        "css_company": _css_string(_company_name()), "css_title": _css_string(rep.title),
    })
    return html_to_pdf(html)


def render(rep: Report, fmt: str):
    """str for json/table/csv, bytes for xlsx/pdf."""
    if fmt == "json":
        return json.dumps(rep.data, ensure_ascii=False, indent=None) + "\n"
    if fmt == "table":
        return render_table(rep)
    if fmt == "csv":
        return render_csv(rep)
    if fmt == "xlsx":
        return render_xlsx(rep)
    if fmt == "pdf":
        return render_pdf(rep)
    raise ValueError(fmt)


CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "table": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
