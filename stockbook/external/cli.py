"""``stockbook reconcile-external wms FILE --as-of DATE`` and ``stockbook reconcile-external gl FILE --from
DATE --to DATE`` (外部对账).

The CLI prints the result and saves nothing unless ``--save`` is given (then the run is kept in the history
like a web or REST run). Exit status: 0 no differences and no bad rows; 1 differences or bad rows
(reported in the output); 2 unusable input (not a table, a required column missing, bad parameters).
"""
import json
import sys


def register(sub):
    p = sub.add_parser("reconcile-external", help="reconcile a WMS stock export or a finance package's vouchers against the books",
                       description="外部对账: compare a WMS stock file (wms) or an external voucher export (gl) with the books.")
    xs = p.add_subparsers(dest="ext_kind", required=True)
    from stockbook.cli import _date

    for kind in ("wms", "gl"):
        q = xs.add_parser(kind, help="WMS stock export (csv/xlsx/xls)" if kind == "wms" else "voucher export of 金蝶/用友/… (csv/xlsx/xls/dbf/txt)")
        q.add_argument("file")
        if kind == "wms":
            q.add_argument("--as-of", dest="as_of", type=_date, required=True)
            q.add_argument("--warehouse", help="warehouse code for a file without a warehouse column (旺店通, GreaterWMS)")
        else:
            q.add_argument("--from", dest="start", type=_date, required=True)
            q.add_argument("--to", dest="end", type=_date, required=True)
        from .layouts import LAYOUTS, U8_TXT

        keys = ", ".join(lay.key for lay in LAYOUTS + [U8_TXT] if lay.kind == kind)
        q.add_argument("--layout", help=f"force a built-in layout: {keys} (default: detected)")
        q.add_argument("--mapping", help="a saved column mapping (name or id), or a JSON object {header: field}")
        q.add_argument("--format", default="json", choices=("json", "table"))
        q.add_argument("--save", action="store_true", help="keep this run in the history (default: print only)")
        q.set_defaults(run=run)


def _mapping(arg):
    if not arg:
        return None
    s = arg.strip()
    if s.startswith("{"):
        try:
            m = json.loads(s)
        except ValueError:
            raise ValueError("--mapping 不是有效的 JSON 对象")
        if not isinstance(m, dict):
            raise ValueError("--mapping 不是有效的 JSON 对象")
        return m
    return s


def run(args) -> int:
    from stockbook.core.errors import DocError

    from .service import CAUSE_LABELS, FileRejected, run_gl, run_wms

    try:
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as e:
        print(json.dumps({"error": "invalid_value", "message": f"无法读取文件：{e.strerror or e}"}, ensure_ascii=False), file=sys.stderr)
        return 2
    name = args.file.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        mapping = _mapping(args.mapping)
        if args.ext_kind == "wms":
            out = run_wms(data, as_of=args.as_of, file_name=name, layout=args.layout, mapping=mapping,
                          warehouse=args.warehouse, save=args.save, source="cli")
        else:
            out = run_gl(data, date_from=args.start, date_to=args.end, file_name=name, layout=args.layout, mapping=mapping,
                         save=args.save, source="cli")
    except (FileRejected, DocError) as e:
        print(json.dumps({"error": e.code, "message": e.message}, ensure_ascii=False), file=sys.stderr)
        return 2
    except ValueError as e:
        print(json.dumps({"error": "invalid_value", "message": str(e)}, ensure_ascii=False), file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False))
    else:
        _table(out, CAUSE_LABELS)
    return 1 if out["rows"] or out["errors"] else 0


def _table(out, labels):
    if out["source"] == "wms":
        print(f"外部对账（WMS） 截至 {out['as_of']}  格式 {out['layout']}")
        for r in out["rows"]:
            print(f"{r['warehouse']}\t{r['item']}\t账面 {r['book_qty']}\t外部 {r['external_qty']}\t差异 {r['difference']}\t{labels[r['cause']]}")
    else:
        print(f"外部对账（总账） {out['from']} 至 {out['to']}  格式 {out['layout']}")
        for r in out["rows"]:
            print(f"{r['voucher'] or '-'}\t{r['external_voucher'] or '-'}\t{r['account']}\t账面 {r['book_amount']}\t"
                  f"外部 {r['external_amount']}\t差异 {r['difference']}\t{labels[r['cause']]}")
    for e in out["errors"]:
        print(f"错误 {e['code']}: {e['message']}")
    s = out["summary"]
    print(f"读取 {s['rows_read']} 行，错误 {s['rows_bad']} 行，差异 {s['differences']} 条")
