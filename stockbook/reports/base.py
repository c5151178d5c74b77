"""One report definition, many formats: json (the contract shape), table (terminal), csv, xlsx, pdf.

A report is a ``Report``: ``data`` is the contract JSON, ``columns`` and ``rows`` the tabular view
(cells already formatted strings or Decimals), ``title`` and ``subtitle`` for people.
"""
import csv
import io
import json
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

FORMATS = ("json", "table", "csv", "xlsx", "pdf")


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


def render_xlsx(rep: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = rep.title[:31]
    ws.append([rep.title + (f"  {rep.subtitle}" if rep.subtitle else "")])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([c.title for c in rep.columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    rows = list(rep.rows) + ([rep.totals] if rep.totals else [])
    for r in rows:
        vals = []
        for c in rep.columns:
            v = r.get(c.key)
            if c.kind in ("money", "qty") and v not in (None, ""):
                v = Decimal(str(v))  # openpyxl writes Decimal as an exact number cell
            vals.append(v)
        ws.append(vals)
    for i, c in enumerate(rep.columns, 1):
        letter = ws.cell(row=2, column=i).column_letter
        ws.column_dimensions[letter].width = max(10, min(40, _width(c.title) + 4))
        if c.kind == "money":
            for row in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                for cell in row:
                    cell.number_format = "#,##0.00"
                    cell.alignment = Alignment(horizontal="right")
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_pdf(rep: Report) -> bytes:
    from django.template.loader import render_to_string

    from .pdf import html_to_pdf

    nums = [c.kind in ("money", "qty") for c in rep.columns]
    body = [list(zip(rep.cells(r), nums)) for r in rep.rows]
    totals = list(zip(rep.cells(rep.totals), nums)) if rep.totals else None
    html = render_to_string("reports/report_pdf.html", {"rep": rep, "head": rep.columns, "body": body, "totals": totals})
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
