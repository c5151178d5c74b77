"""Open lines are stored only once taken (stock/service.py, "open receipt/delivery lines"): a line with no row
is as its document line says, and a fully taken line keeps a CLOSED row. Before, every open line had a row
and a fully taken line had none — so mark those closed here, and drop the rows of untaken lines (they say
what the document line says)."""
import json

from django.db import migrations

CLOSED = json.dumps({"closed": True})
TYPES = {"r": "purchase_receipt", "d": "sales_delivery"}


def _lines_without_row(cur):
    cur.execute(
        "SELECT l.item_id, CASE d.type WHEN 'purchase_receipt' THEN 'r' ELSE 'd' END, l.document_id, l.line_no, "
        "l.warehouse_id, l.qty_base, l.amount, l.result, d.date "
        "FROM posting_documentline l JOIN posting_document d ON d.id = l.document_id "
        "WHERE d.status = 'posted' AND d.type IN ('purchase_receipt', 'sales_delivery') AND l.item_id IS NOT NULL")
    rows = cur.fetchall()
    cur.execute("SELECT item_id, kind, line_key FROM stock_openline")
    have = set(cur.fetchall())
    return [r for r in rows if (r[0], r[1], f"{r[2]}:{r[3]}") not in have]


FRESH_KEYS = {"r": {"wh", "q", "a", "tq", "ta", "ret", "p"}, "d": {"wh", "q", "a", "tq", "ta", "c", "rq", "rc", "p"}}


def _fresh(kind, acc) -> bool:  # = stock.service.is_fresh at the time of this migration
    if not isinstance(acc, dict) or acc.keys() != FRESH_KEYS[kind] or acc["tq"] or acc["ta"]:
        return False
    return not acc["ret"] if kind == "r" else not (acc["rq"] or acc["rc"])


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        rows = [(item, kind, f"{doc}:{line}", CLOSED) for item, kind, doc, line, *_ in _lines_without_row(cur)]
        cur.executemany("INSERT INTO stock_openline (item_id, kind, line_key, data) VALUES (%s, %s, %s, %s)", rows)
        cur.execute("SELECT id, kind, data FROM stock_openline")
        fresh = [(pk,) for pk, kind, data in cur.fetchall() if _fresh(kind, json.loads(data) if isinstance(data, str) else data)]
        cur.executemany("DELETE FROM stock_openline WHERE id = %s", fresh)


def backward(apps, schema_editor):
    """Every untaken line gets its row back (the lines with no row), and closed lines lose theirs."""
    from datetime import date

    with schema_editor.connection.cursor() as cur:
        out = []
        for item, kind, doc, line, wh, q, a, res, day in _lines_without_row(cur):
            day = date.fromisoformat(day) if isinstance(day, str) else day
            p = day.year * 100 + day.month
            if kind == "r":
                acc = {"wh": wh, "q": q or 0, "a": a or 0, "tq": 0, "ta": 0, "ret": 0, "p": p}
            else:
                res = json.loads(res) if isinstance(res, str) else (res or {})
                acc = {"wh": wh, "q": q or 0, "a": a or 0, "tq": 0, "ta": 0, "c": res.get("cost"), "rq": 0, "rc": 0, "p": p}
            out.append((item, kind, f"{doc}:{line}", json.dumps(acc)))
        cur.execute("DELETE FROM stock_openline WHERE data = %s" if schema_editor.connection.vendor != "postgresql"
                    else "DELETE FROM stock_openline WHERE data = %s::jsonb", [CLOSED])
        cur.executemany("INSERT INTO stock_openline (item_id, kind, line_key, data) VALUES (%s, %s, %s, %s)", out)


class Migration(migrations.Migration):
    dependencies = [("stock", "0005_drop_redundant_item_indexes"), ("posting", "0007_line_item_recent_index")]
    operations = [migrations.RunPython(forward, backward)]
