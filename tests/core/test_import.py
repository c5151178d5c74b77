"""`stockbook import`: whole-file parsing, per-document transactions, error lines, exit codes."""
import io
import json

import pytest

from stockbook.interchange.importer import import_file
from stockbook.ledger.models import Voucher
from stockbook.posting.models import Document
from tests.conftest import COMPANY, jl

J = {"type": "journal", "ref": "J1", "date": "2026-01-05",
     "lines": [{"account": "1002", "debit": "100.00"}, {"account": "3001", "credit": "100.00"}]}


def run(tmp_path, content: bytes | str, **kw):
    p = tmp_path / "in.jsonl"
    p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    out, err = io.StringIO(), io.StringIO()
    rc = import_file(str(p), out=out, err=err, **kw)
    errors = [json.loads(x) for x in err.getvalue().splitlines() if x.startswith("{")]
    return rc, out.getvalue(), errors


@pytest.mark.django_db(transaction=True)
def test_import_posts_and_reports_errors(tmp_path):
    text = jl(COMPANY, J, {**J, "ref": "J2", "lines": [{"account": "1002", "debit": "1.00"}]}, {**J, "ref": "J3"})
    rc, out, errors = run(tmp_path, text)
    assert rc == 1
    assert errors == [{"line": 3, "type": "journal", "ref": "J2", "error": "unbalanced", "message": errors[0]["message"]}]
    assert "posted 3" in out
    assert Voucher.objects.count() == 2
    # importing the same file twice changes nothing; the rejected line is rejected again
    rc, out, errors = run(tmp_path, text)
    assert rc == 1 and [e["line"] for e in errors] == [3] and "duplicates 3" in out
    assert Voucher.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_bom_crlf_blank_lines_and_line_numbers(tmp_path):
    text = "\ufeff" + json.dumps(COMPANY) + "\r\n\r\n  \r\n" + json.dumps({**J, "lines": [{"account": "x", "debit": "1.00"}]}) + "\r\n"
    rc, out, errors = run(tmp_path, text)
    assert rc == 1
    assert errors[0]["line"] == 4 and errors[0]["error"] == "unknown_account"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("content", [
    jl(COMPANY) + '{"type": "journal", "ref": "J1", "date": "2026-01-0',  # truncated file
    jl(COMPANY) + "not json\n",
    jl(COMPANY) + '{"a": NaN}\n',
    b'{"type":"company"}\n\xff\xfe\n',  # not UTF-8
])
def test_unusable_input_exits_2_and_posts_nothing(tmp_path, content):
    rc, out, errors = run(tmp_path, content)
    assert rc == 2
    assert Document.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_stop_on_error(tmp_path):
    text = jl(COMPANY, {**J, "date": "bad"}, J)
    rc, out, errors = run(tmp_path, text, stop_on_error=True)
    assert rc == 1 and len(errors) == 1
    assert Voucher.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_non_object_lines_are_rejected_not_fatal(tmp_path):
    rc, out, errors = run(tmp_path, jl(COMPANY) + "[1,2]\n\"x\"\n")
    assert rc == 1 and [(e["line"], e["error"]) for e in errors] == [(2, "invalid_value"), (3, "invalid_value")]


def test_cli_import_and_report(tmp_path):
    """The console script end to end, on its own database file."""
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path}/cli.db"
    f = tmp_path / "a.jsonl"
    f.write_text(jl(COMPANY, J), encoding="utf-8")
    cli = [sys.executable, "-m", "stockbook.cli", "--db", db]
    p = subprocess.run([*cli, "import", str(f)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([*cli, "report", "trial-balance", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    data = json.loads(p.stdout)
    rows = {r["account"]: r for r in data["rows"]}
    assert data["report"] == "trial-balance"
    assert rows["1002"] == {"account": "1002", "name": "银行存款", "opening": "0.00", "debit": "100.00", "credit": "0.00", "closing": "100.00"}
    assert rows["3001"]["closing"] == "-100.00"
