"""CLI: create → confirm → deliver → invoice → receipt, JSON out; refusals as one JSON line on stderr (exit 1),
bad input exit 2."""
import json

from stockbook.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_cli_flow(shop, capsys, tmp_path):
    f = tmp_path / "so.json"
    f.write_text(json.dumps({"customer": "C01", "warehouse": "WH1", "date": "2026-01-05",
                             "lines": [{"item": "A001", "qty": "10", "list_price": "20"}]}), encoding="utf-8")
    code, so, _ = run(capsys, "sales", "create", str(f))
    assert code == 0 and so["status"] == "draft"
    no = so["no"]
    code, out, _ = run(capsys, "sales", "confirm", no)
    assert code == 0 and out["status"] == "confirmed" and out["lines"][0]["reserved"] == "10"
    code, out, err = run(capsys, "sales", "confirm", no)
    assert code == 1 and json.loads(err)["error"] == "invalid_status"
    code, out, _ = run(capsys, "sales", "available", "--warehouse", "WH1", "--items", "A001")
    assert out["items"]["A001"] == {"on_hand": "100", "reserved": "10", "available": "90", "uom": "kg"}
    code, out, err = run(capsys, "sales", "deliver", no, "--line", "1=11", "--date", "2026-01-06")
    assert code == 1 and json.loads(err)["error"] == "invalid_value"
    code, out, err = run(capsys, "sales", "deliver", no, "--line", "x", "--date", "2026-01-06")
    assert code == 2
    code, out, _ = run(capsys, "sales", "deliver", no, "--line", "1=4", "--date", "2026-01-06", "--ref", "D1")
    assert code == 0 and out["status"] == "posted" and out["ref"] == "D1"
    code, out, _ = run(capsys, "sales", "reservations")
    assert out["results"] == [{"order": no, "line": 1, "item": "A001", "warehouse": "WH1", "qty": "6"}]
    code, out, _ = run(capsys, "sales", "invoice", no, "--date", "2026-01-07", "--ref", "I1")
    assert code == 0 and out["ref"] == "I1"
    code, out, _ = run(capsys, "sales", "receipt", no, "50.00", "--date", "2026-01-08", "--ref", "RC1")
    assert code == 0 and out["ref"] == "RC1"
    code, out, _ = run(capsys, "sales", "show", no)
    assert out["status"] == "partial" and [d["ref"] for d in out["documents"]["receipts"]] == ["RC1"]
    code, out, _ = run(capsys, "sales", "list", "--status", "partial")
    assert [o["no"] for o in out["results"]] == [no]
    code, out, err = run(capsys, "sales", "show", "XSDD-NOPE")
    assert code == 1 and json.loads(err)["error"] == "unknown_reference"
