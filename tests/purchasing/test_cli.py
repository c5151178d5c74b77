"""CLI: create → receive → inspect → match → suggestions, JSON out, errors as one JSON line and exit 2."""
import json

import pytest

from stockbook.cli import main

pytestmark = pytest.mark.django_db(transaction=False)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_cli_flow(company, capsys, tmp_path, settings):
    f = tmp_path / "po.json"
    f.write_text(json.dumps({"supplier": "S01", "warehouse": "WH1", "order_date": "2026-01-05",
                             "lines": [{"item": "A001", "qty": "10", "unit_price": "10"}]}), encoding="utf-8")
    code, po, _ = run(capsys, "purchasing", "create", str(f), "--submit")
    assert code == 0 and po["status"] == "approved"
    code, out, err = run(capsys, "purchasing", "receive", po["number"], "--line", "1=20", "--ref", "R1", "--date", "2026-01-10")
    assert code == 2 and json.loads(err)["error"] == "over_receipt"
    code, out, _ = run(capsys, "purchasing", "receive", po["number"], "--line", "1=10", "--ref", "R1", "--date", "2026-01-10")
    assert out == {"status": "posted", "document": "R1", "order_status": "received"}
    code, out, _ = run(capsys, "purchasing", "inspect", "R1", "--line", "1=9/1:破损", "--date", "2026-01-11")
    assert out["return"] == "QC-R1"
    code, out, _ = run(capsys, "purchasing", "match", po["number"])
    assert out["lines"][0]["accepted"] == "9"
    code, out, _ = run(capsys, "purchasing", "suggestions")
    assert out == {"rows": []}
    code, out, _ = run(capsys, "purchasing", "settings", "--over-receipt", "10")
    assert out == {"over_receipt_pct": "10", "price_tolerance_pct": "0"}
    code, out, _ = run(capsys, "purchasing", "orders", "--status", "partial")
    assert out["count"] == 1
