"""`bench/load.py quiz` runs end to end on a small class: every answer recorded and still there after a restart."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quiz_bench_prints_its_json_line_last():
    run = subprocess.run([sys.executable, "bench/load.py", "quiz", "--students", "3", "--idle", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(figures) == {"students", "recorded", "lost", "histogram_lag_s", "submit_p95_s", "idle_cpu_percent",
                            "survived_restart"}
    assert (figures["students"], figures["recorded"], figures["lost"]) == (3, 3, 0)
    assert figures["survived_restart"] is True
