"""The one code path of external reconciliation, used by the CLI, REST and the web pages, and the small
read API other apps use (``latest_run``, ``gl_lines``).

``run_wms`` / ``run_gl`` read the file (``tables``), find its layout and columns (``layouts``), reconcile
(``wms`` / ``gl``) and, with ``save=True``, keep an ``ExternalRun`` with its rows in one transaction. A file
that is not a table or lacks a required column raises ``FileRejected`` and nothing is saved; bad rows are
reported in ``errors`` while the good ones are reconciled.
"""
import hashlib
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from stockbook.core.errors import DocError

from . import gl as gl_engine
from . import layouts
from . import wms as wms_engine
from .models import ColumnMapping, ExternalGLLine, ExternalRun, ExternalStockRow
from .tables import FileRejected, read_sheets

__all__ = ["ExtLine", "FileRejected", "latest_run", "gl_lines", "stock_rows", "run_gl", "run_wms", "preview",
           "resolve_mapping", "CAUSE_LABELS"]

CAUSE_LABELS = {
    "unit_error": "计量单位错误", "missing_in_books": "账面无此库存", "missing_in_external": "外部文件缺少",
    "unposted_document": "单据未过账", "quantity_difference": "数量差异",
    "not_transferred": "未传入外部账", "amount_mismatch": "金额不符", "account_mismatch": "科目不符", "external_only": "仅外部账有",
}
RULE_LABELS = {"reference": "按单据编号/凭证号", "number_date": "按凭证号与日期", "date_amount": "按日期、科目与金额"}
BATCH = 5000


@dataclass(frozen=True)
class ExtLine:
    """One line of an external voucher export, as stored (amounts in 分)."""

    date: date
    voucher_no: str
    account: str
    debit: int
    credit: int
    summary: str
    reference: str


def latest_run(kind: str) -> ExternalRun | None:
    """The newest saved run of ``kind`` ("gl" or "wms"), or None."""
    return ExternalRun.objects.filter(kind=kind).order_by("-created_at", "-id").first()


def gl_lines(run: ExternalRun) -> list[ExtLine]:
    """The lines of a saved gl run, in file order."""
    return [ExtLine(*r) for r in run.gl_lines.order_by("row_no").values_list(
        "date", "voucher_no", "account", "debit", "credit", "summary", "reference")]


def stock_rows(run: ExternalRun) -> list[dict]:
    """The rows of a saved wms run: {row_no, warehouse, item, qty (1/10000 base units), uom}."""
    return list(run.stock_rows.order_by("row_no").values("row_no", "warehouse", "item", "qty", "uom"))


def _read(file_or_bytes) -> bytes:
    if isinstance(file_or_bytes, (bytes, bytearray)):
        return bytes(file_or_bytes)
    if hasattr(file_or_bytes, "chunks"):  # an uploaded file
        return b"".join(file_or_bytes.chunks())
    if hasattr(file_or_bytes, "read"):
        return file_or_bytes.read()
    with open(file_or_bytes, "rb") as f:
        return f.read()


def resolve_mapping(kind: str, mapping=None):
    """``mapping``: None, a {header: field} dict, or the name / id of a saved ColumnMapping → (dict or None, name)."""
    if mapping is None or mapping == "" or isinstance(mapping, dict):
        return (mapping or None), ""
    cm = None
    if isinstance(mapping, int) or (isinstance(mapping, str) and mapping.isdigit()):
        cm = ColumnMapping.objects.filter(kind=kind, pk=int(mapping)).first()
    if cm is None:
        cm = ColumnMapping.objects.filter(kind=kind, name=str(mapping)).first()
    if cm is None:
        other = ColumnMapping.objects.exclude(kind=kind).filter(pk=int(mapping)).first() if str(mapping).isdigit() else None
        if other is not None:
            raise FileRejected(f"映射方案“{other.name}”用于{other.get_kind_display()}，不适用于本次对账", "invalid_value")
        raise FileRejected(f"映射方案“{mapping}”不存在", "unknown_reference")
    return cm.mapping, cm.name


def _check(user, kind):
    from stockbook.access.policy import require, require_books

    require(user, "reconcile")
    if kind == "gl":
        require_books(user)


def preview(file_or_bytes, kind: str, *, file_name: str = "", layout: str | None = None, mapping=None) -> dict:
    """What the mapping screen shows: headers, the detected layout, the columns chosen, a few rows."""
    data = _read(file_or_bytes)
    mp, name = resolve_mapping(kind, mapping)
    prep = layouts.prepare(read_sheets(data, file_name), kind, layout_key=layout, mapping=mp, mapping_name=name)
    sample = []
    for i in range(prep.data_start, min(len(prep.rows), prep.data_start + 5)):
        sample.append([layouts.text(c) for c in prep.rows[i]][:len(prep.headers)])
    return {"sheet": prep.sheet, "headers": prep.headers, "header_row": prep.header_row + 1, "layout": prep.layout.key,
            "layout_label": prep.layout.label, "columns": {f: prep.headers[c] for f, c in prep.columns.items() if c < len(prep.headers)},
            "sample": sample}


def _start(data, kind, file_name, layout, mapping, user):
    _check(user, kind)
    mp, name = resolve_mapping(kind, mapping)
    prep = layouts.prepare(read_sheets(data, file_name), kind, layout_key=layout, mapping=mp, mapping_name=name)
    return prep


def run_wms(file_or_bytes, *, as_of: date, file_name: str = "", user=None, layout: str | None = None, mapping=None,
            warehouse: str | None = None, save: bool = True, source: str = "web") -> dict:
    """Reconcile a WMS stock export against the books as of ``as_of``. Returns the JSON result (with
    ``run`` = the saved run's id when ``save``)."""
    if as_of is None:
        raise FileRejected("缺少对账日期（as_of）")
    data = _read(file_or_bytes)
    prep = _start(data, "wms", file_name, layout, mapping, user)
    layouts.check_required(prep, "wms", default_warehouse=bool(warehouse))
    if not warehouse and "warehouse" not in prep.columns:
        raise FileRejected("文件没有仓库列：请指定默认仓库")
    rows, errors, stored, summary = wms_engine.reconcile(prep, as_of, user=user, default_warehouse_code=warehouse)
    out = {"report": "reconcile-external", "source": "wms", "as_of": as_of.isoformat(), "layout": prep.layout.key,
           "rows": rows, "errors": errors, "summary": summary}
    if save:
        with transaction.atomic():  # the run and its rows, or nothing
            run = _save("wms", prep, data, file_name, user, source, out, errors, summary,
                        as_of=as_of, params={"as_of": as_of.isoformat(), "warehouse": warehouse or ""})
            _save_rows(ExternalStockRow, ["run", "row_no", "warehouse", "item", "qty", "uom"],
                       [(run.pk, n, w, i, q, u[:20]) for n, w, i, q, u in stored])
        out["run"] = run.pk
        transaction.on_commit(_sync_cases)
    return out


def run_gl(file_or_bytes, *, date_from: date, date_to: date, file_name: str = "", user=None, layout: str | None = None,
           mapping=None, save: bool = True, source: str = "web") -> dict:
    """Reconcile a finance package's voucher export against Stockbook's vouchers dated from..to."""
    if date_from is None or date_to is None:
        raise FileRejected("缺少对账期间（from / to）")
    if date_from > date_to:
        raise FileRejected("开始日期晚于结束日期")
    data = _read(file_or_bytes)
    prep = _start(data, "gl", file_name, layout, mapping, user)
    layouts.check_required(prep, "gl")
    rows, matches, errors, lines, summary = gl_engine.reconcile(prep, date_from, date_to)
    out = {"report": "reconcile-external", "source": "gl", "from": date_from.isoformat(), "to": date_to.isoformat(),
           "layout": prep.layout.key, "rows": rows, "matches": matches, "errors": errors, "summary": summary}
    if save:
        with transaction.atomic():  # the run and its lines, or nothing
            run = _save("gl", prep, data, file_name, user, source, out, errors, summary, date_from=date_from, date_to=date_to,
                        params={"from": date_from.isoformat(), "to": date_to.isoformat()})
            _save_rows(ExternalGLLine, ["run", "row_no", "date", "voucher_no", "account", "debit", "credit", "summary", "reference", "voucher"],
                       [(run.pk, ln["row_no"], ln["date"], ln["voucher_no"][:60], ln["account"][:60], ln["debit"], ln["credit"],
                         ln["summary"], ln["reference"], ln["voucher"]) for ln in lines])
        out["run"] = run.pk
        transaction.on_commit(_sync_cases)
    return out


def _save(kind, prep, data, file_name, user, source, out, errors, summary, **fields):
    result = {k: v for k, v in out.items() if k != "errors"}
    return ExternalRun.objects.create(
        kind=kind, layout=prep.layout.key, mapping=prep.mapping(), mapping_name=prep.mapping_name,
        file_name=(file_name or "upload")[-255:], sha256=hashlib.sha256(data).hexdigest(),
        created_by=user if getattr(user, "pk", None) else None, source=source,
        rows_read=summary["rows_read"], rows_bad=summary["rows_bad"], differences=summary["differences"],
        result=result, errors=errors, **fields)


def _save_rows(model, fields: list[str], rows: list[tuple]):
    """Insert plain tuples (values in ``fields`` order, already in storage form): COPY on PostgreSQL,
    executemany in batches on SQLite — several times faster than bulk_create at 100,000 rows. Inside the
    caller's transaction."""
    if not rows:
        return
    from django.db import connection

    qn = connection.ops.quote_name
    cols = ", ".join(qn(model._meta.get_field(f).column) for f in fields)
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cur:
        raw = getattr(cur, "cursor", None)
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3: COPY, several times faster
            with raw.copy(f"COPY {qn(model._meta.db_table)} ({cols}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
            return
        for i in range(0, len(rows), BATCH):
            cur.executemany(sql, rows[i:i + BATCH])


def _sync_cases():
    """After a saved run: the difference cases follow it (stockbook/cases/external.py). A failure there is
    logged, never the upload's failure (the periodic sync tries again)."""
    import logging

    from stockbook.cases.external import sync_external

    try:
        sync_external()
    except Exception:  # noqa: BLE001
        logging.getLogger("stockbook.cases").exception("cases: sync after an external run failed")


def run_result(run: ExternalRun) -> dict:
    """A saved run's JSON, as the run returned it."""
    out = dict(run.result)
    out["errors"] = run.errors
    out["run"] = run.pk
    return out


def check_run_access(user, run: ExternalRun):
    """May ``user`` read this run? reconcile; gl runs need the books; a scoped user sees a wms run only
    when every warehouse in it is theirs."""
    _check(user, run.kind)
    if run.kind == "wms":
        from stockbook.access.policy import warehouse_codes

        codes = warehouse_codes(user)
        if codes is not None:
            used = {r["warehouse"] for r in run.result.get("rows", [])}
            used |= set(run.stock_rows.values_list("warehouse", flat=True).distinct())
            if not used <= codes:
                raise DocError("not_allowed", "该对账记录包含您数据范围以外的仓库")


def visible_runs(user, kind: str | None = None):
    from stockbook.access.policy import can, can_read_books, warehouse_ids

    qs = ExternalRun.objects.select_related("created_by")
    if kind:
        qs = qs.filter(kind=kind)
    if not can(user, "reconcile"):
        return qs.none()
    if not can_read_books(user):
        qs = qs.exclude(kind="gl")
    if warehouse_ids(user) is not None and user is not None:
        qs = qs.filter(created_by=user)  # a scoped user's history: their own runs (always within scope)
    return qs


def save_mapping(kind: str, name: str, mapping: dict, user=None) -> ColumnMapping:
    name = (name or "").strip()
    if not name:
        raise FileRejected("映射方案名称不能为空")
    if ColumnMapping.objects.filter(kind=kind, name=name[:100], builtin=True).exists():
        raise FileRejected(f"“{name}”是预置方案的名称，请换一个名称")
    allowed = set(layouts.fields_of(kind))
    clean = {str(h)[:200]: f for h, f in mapping.items() if f in allowed}
    cm, _ = ColumnMapping.objects.update_or_create(kind=kind, name=name[:100], defaults={
        "mapping": clean, "created_by": user if getattr(user, "pk", None) else None})
    return cm




def ensure_builtin_mappings():
    """The built-in layouts (金蝶/用友/旺店通/GreaterWMS) as ColumnMapping rows, so that the mapping list shows
    them beside the user's own (idempotent; the detection itself reads layouts.LAYOUTS)."""
    have = set(ColumnMapping.objects.filter(builtin=True).values_list("kind", "name"))
    for lay in layouts.LAYOUTS + [layouts.U8_TXT]:
        if not lay.mapping or (lay.kind, lay.label) in have:
            continue
        ColumnMapping.objects.get_or_create(kind=lay.kind, name=lay.label, defaults={
            "mapping": dict(lay.mapping), "builtin": True, "layout": lay.key})


def mappings(kind: str):
    ensure_builtin_mappings()
    return ColumnMapping.objects.filter(kind=kind).order_by("-builtin", "name")
