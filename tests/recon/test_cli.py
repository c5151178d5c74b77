"""``stockbook recon``: JSON an auditor can replay (rule and reason on every item), breakdowns, exit codes."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]


def sb(db, *args):
    env = {"STOCKBOOK_DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "STOCKBOOK_FAST_HASHER": "1"}
    return subprocess.run([sys.executable, "-m", "stockbook.cli", *args], capture_output=True, text=True, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("recon") / "r.db"
    r = sb(path, "import", str(SHARED / "scenarios" / "basic-fifo.jsonl"))
    assert r.returncode in (0, 1), r.stderr  # the scenario has documents meant to be rejected
    return path


def test_json_names_rule_and_reason(db):
    r = sb(db, "recon", "--as-of", "2026-03-31")
    assert r.returncode == 1  # there is a difference (the scenario's manual journal on 1405)
    out = json.loads(r.stdout)
    p = next(p for p in out["pairs"] if p["key"] == "stock:1405")
    assert p["difference"] == "350.00" and p["unexplained"] == "0.00"
    [item] = p["items"]
    assert item["cause"] == "manual_journal" and item["rule"] == "R030" and "JZ-202601-002" in item["reason"]
    assert [q["key"] for q in out["pairs"]][-2:] == ["count:1901", "transit:1402"]


def test_breakdown_by_warehouse(db):
    r = sb(db, "recon", "--as-of", "2026-03-31", "--pair", "stock:1405", "--by", "warehouse")
    rows = json.loads(r.stdout)["rows"]
    assert {x["warehouse"]["code"]: x["difference"] for x in rows} == {"WH1": "350.00", "WH2": "0.00"}


@pytest.mark.parametrize("args", [["--by", "colour", "--pair", "stock:1405"], ["--by", "warehouse"], ["--run", "99"],
                                  ["--pair", "ar:1122", "--by", "warehouse"]])
def test_bad_input_exit_2(db, args):
    r = sb(db, "recon", "--as-of", "2026-03-31", *args)
    assert r.returncode == 2 and "error" in r.stderr and "Traceback" not in r.stderr
