"""Attribution quality: scenarios with planted differences of every cause (bench/recon_plant.py), each
reconciled by the engine; prints the share attributed to the right cause, amount and documents (target
≥ 95 %) and the share attributed wrongly (target ≤ 1 %; "unexplained" is not wrong), and the engine's
time for the external reconciliation of each scenario.

    python -m bench.recon_quality                 # 10 scenarios, 5 plants per cause, 80 receipts a month
    python -m bench.recon_quality --scenarios 3 --per-cause 3
Each scenario runs in a child process on a fresh SQLite database.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(seed: int, per_cause: int, receipts: int):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockbook.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from bench.recon_plant import MONTH_END, run_scenario
    from stockbook.recon.engine import reconcile_external

    sc, internal, external = run_scenario(seed, per_cause=per_cause, n_receipts=receipts)
    t0 = time.perf_counter()
    reconcile_external(sc.ext, date(2026, 1, 1), MONTH_END)
    secs = time.perf_counter() - t0
    by_cause = Counter()
    for e in sc.expects:
        by_cause[e.cause] += 1
    print(json.dumps({"seed": seed, "internal": {k: v for k, v in internal.items() if k != "detail"},
                      "external": {k: v for k, v in external.items() if k != "detail"},
                      "problems": [str(d) for d in internal["detail"] + external["detail"]][:10],
                      "plants": dict(sc.planted), "expectations": dict(by_cause), "ext_lines": len(sc.ext), "seconds": secs}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", type=int, default=10)
    ap.add_argument("--per-cause", type=int, default=5)
    ap.add_argument("--receipts", type=int, default=80)
    ap.add_argument("--child", type=int)
    a = ap.parse_args()
    if a.child is not None:
        return child(a.child, a.per_cause, a.receipts)
    tot = Counter()
    print(f"attribution quality: {a.scenarios} scenarios, {a.per_cause} plants per cause, {a.receipts} receipts a month")
    for seed in range(1, a.scenarios + 1):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, STOCKBOOK_DATABASE_URL=f"sqlite:///{tmp}/q.db", PYTHONPATH=str(ROOT))
            out = subprocess.run([sys.executable, "-m", "bench.recon_quality", "--child", str(seed), "--per-cause", str(a.per_cause),
                                  "--receipts", str(a.receipts)], env=env, cwd=ROOT, capture_output=True, text=True)
        if out.returncode:
            print(out.stderr[-3000:])
            sys.exit(1)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        for side in ("internal", "external"):
            for k in ("planted", "right", "wrong", "unexplained"):
                tot[k] += r[side][k]
        print(f"  seed {seed:>2}: {r['internal']['planted'] + r['external']['planted']:>3} planted differences "
              f"({sum(r['plants'].values())} plants, {len(r['plants'])} causes), right {r['internal']['right'] + r['external']['right']}, "
              f"wrong {r['internal']['wrong'] + r['external']['wrong']}, unexplained {r['internal']['unexplained'] + r['external']['unexplained']}; "
              f"external GL of {r['ext_lines']} lines reconciled in {r['seconds']:.2f} s")
        for p in r["problems"]:
            print("     ", p)
    right = 100 * tot["right"] / tot["planted"]
    wrong = 100 * tot["wrong"] / tot["planted"]
    print(f"attributed to the right cause and documents: {right:.1f} %   (target ≥ 95 %)")
    print(f"attributed wrongly:                          {wrong:.1f} %   (target ≤ 1 %)")
    print(f"left unexplained:                            {100 * tot['unexplained'] / tot['planted']:.1f} %")


if __name__ == "__main__":
    main()
