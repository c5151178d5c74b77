"""``stockbook import FILE.jsonl`` (contract section 1).

The whole file is parsed first: unreadable, not UTF-8, or any non-blank line that is not JSON → exit 2
and nothing is posted. Then each document is posted in file order, each in its own transaction.
"""
import json
import sys
from dataclasses import dataclass, field

from stockbook.core.errors import DocError
from stockbook.core.jsonio import NotJSON, loads
from stockbook.posting.books import Books
from stockbook.posting.service import post, ref_of


class UnusableInput(Exception):
    pass


def parse_jsonl(raw: bytes) -> list[tuple[int, object]]:
    """[(line number, parsed JSON)] for every non-blank line; raises UnusableInput."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnusableInput(f"文件不是 UTF-8 编码：{e}") from e
    if text.startswith("\ufeff"):
        text = text[1:]
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip():
            continue
        try:
            out.append((n, loads(line)))
        except NotJSON as e:
            raise UnusableInput(f"第 {n} 行不是有效的 JSON：{e}") from e
    return out


@dataclass
class ImportResult:
    posted: int = 0
    duplicates: int = 0
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def exit_code(self):
        return 1 if self.rejected else 0

    def summary(self):
        return f"posted {self.posted}, duplicates {self.duplicates}, rejected {len(self.rejected)}"


def import_documents(docs, *, stop_on_error=False, user=None, source="import", progress=None) -> ImportResult:
    res = ImportResult()
    books = Books()
    for i, (n, obj) in enumerate(docs):
        try:
            r = post(obj, books=books, user=user, source=source)
        except DocError as e:
            err = {"line": n, "type": obj.get("type") if isinstance(obj, dict) else None, "ref": ref_of(obj),
                   "error": e.code, "message": e.message}
            if e.line is not None:
                err["doc_line"] = e.line
            res.rejected.append(err)
            if stop_on_error:
                break
            continue
        finally:
            if progress:
                progress(i + 1)
        if r.posted:
            res.posted += 1
            res.warnings += [f"line {n}: {w}" for w in r.warnings]
        else:
            res.duplicates += 1
    return res


def _audit_import(path: str, raw: bytes, res: "ImportResult"):
    """One audit entry per import run (file, the SHA-256 of the bytes imported, the counts): the documents
    themselves carry source "import" and their time, so the run is traceable without an entry per document."""
    import hashlib
    import os

    from django.db import transaction

    from stockbook.audit import record

    digest = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        record("import", None, object_type="interchange.file", object_id=os.path.basename(path)[:64],
               object_repr=os.path.abspath(path)[:200], username=os.environ.get("USER", "cli"),
               after={"sha256": digest, "posted": res.posted, "duplicates": res.duplicates, "rejected": len(res.rejected)})


def import_file(path: str, *, stop_on_error=False, out=sys.stdout, err=sys.stderr) -> int:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        print(json.dumps({"error": "invalid_value", "message": f"无法读取文件：{e}"}, ensure_ascii=False), file=err)
        return 2
    try:
        docs = parse_jsonl(raw)
    except UnusableInput as e:
        print(json.dumps({"error": "invalid_value", "message": str(e)}, ensure_ascii=False), file=err)
        return 2
    progress = None
    if err.isatty() and len(docs) > 200:
        total = len(docs)

        def progress(k):
            if k % 100 == 0 or k == total:
                err.write(f"\r导入中 {k}/{total} [{'#' * (30 * k // total):<30}]")
                if k == total:
                    err.write("\n")
                err.flush()

    res = import_documents(docs, stop_on_error=stop_on_error, progress=progress)
    _audit_import(path, raw, res)
    for e in res.rejected:
        print(json.dumps(e, ensure_ascii=False), file=err)
    for w in res.warnings:  # plain text on stdout: stderr carries only the JSON lines of rejected documents
        print(f"warning {w}", file=out)
    print(res.summary(), file=out)
    return res.exit_code
