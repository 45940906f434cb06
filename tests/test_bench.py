"""The benchmark scripts run end to end on a small setting, so they cannot rot (timings are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"n", "forward_s", "analyze_s", "figures_s", "payload_bytes", "bertviz_bytes"}


def test_bench_json_has_exactly_the_documented_keys(tiny_classifier_dir):
    out = subprocess.run(
        [sys.executable, "bench/bench.py", "--json", "--sizes", "8", "16", "--repeat", "1",
         "--model", str(tiny_classifier_dir)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["n"] for r in rows] == [8, 16]
    for row in rows:
        assert set(row) == KEYS
        assert row["forward_s"] > 0 and row["analyze_s"] > 0 and row["figures_s"] > 0
        assert row["payload_bytes"] > 1000
        assert row["bertviz_bytes"] is None or row["bertviz_bytes"] > row["payload_bytes"]


def test_bench_table_names_a_missing_bertviz_instead_of_a_number(tiny_classifier_dir):
    out = subprocess.run(
        [sys.executable, "bench/bench.py", "--sizes", "8", "--repeat", "1", "--model", str(tiny_classifier_dir)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
    ).stdout
    assert "(an+fig)/fwd" in out
    import importlib.util

    if importlib.util.find_spec("bertviz") is None:
        assert "bertviz is not installed" in out


@pytest.mark.e2e
@pytest.mark.parametrize("page", ["Inspect", "Explain", "Worked_example"])
def test_classroom_load_script_runs_on_a_small_class(page):
    out = subprocess.run(
        [sys.executable, "bench/load.py", "classroom", "--page", page, "--sessions", "3", "--duration", "4",
         "--pause", "0.5", "1"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=600,
    ).stdout
    assert f"page {page}, model built-in" in out, out
    assert "errors 0  cross-session leaks 0" in out, out


def test_decoder_bench_json_reports_every_figure(tmp_path):
    from tests.decoders import write_tiny_decoder

    folder = write_tiny_decoder(tmp_path / "tiny_llama", "llama")
    out = subprocess.run(
        [sys.executable, "bench/decoder.py", "--json", "--model", str(folder), "--short", "16", "--long", "32",
         "--repeat", "1", "--skip-first-load"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
    ).stdout
    row = json.loads(out.splitlines()[-1])
    assert row["first_load_s"] is None and 16 < row["long_tokens"] <= 32
    assert row["rss_peak_mb"] >= row["rss_idle_mb"] > 0 and row["forward_s"] > 0 and row["figures_s"] > 0


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")
                                          if "__main__" in p.read_text(encoding="utf-8")))
def test_bench_script_imports_and_parses_its_arguments(script):
    """Every benchmark's imports resolve (a helper it imports may have moved) and its --help works."""
    done = subprocess.run([sys.executable, f"bench/{script}", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
