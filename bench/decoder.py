"""The built-in language model's figures: load times, analysis overhead at 128 tokens, memory at 1,024 tokens.

Run from the repository root:  python bench/decoder.py [--json] [--model smollm2] [--short 128] [--long 1024]

  first_load_s   load_model in a fresh process with an empty cache folder (includes the GGUF conversion)
  later_load_s   load_model in a fresh process once the converted weights are cached (imports included)
  forward_s      the model's own forward pass with attentions at --short tokens (the floor), median
  analyze_s      attnviz.analyze at --short tokens, median
  figures_s      every figure Inspect draws for it (next token, selected head, overview, one average, head types)
  rss_idle_mb / rss_peak_mb / rss_after_mb   process memory with the model loaded, at most during one analysis of
                 --long tokens (head types and figures included), and once that analysis is dropped
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_LOAD = "import time; t = time.perf_counter(); import attnviz; attnviz.load_model({!r}); print(time.perf_counter() - t)"


def load_seconds(model: str, cache_dir: str) -> float:
    env = dict(os.environ, ATTNVIZ_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", _LOAD.format(model)], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    return float(out.split()[-1])


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # ru_maxrss is in KiB on Linux


def all_figures(analysis) -> list:
    from attnviz import figures, figures_decoder
    from attnviz.head_types import head_types

    shown = list(figures.inspect_figures(analysis, layer=0, head=0).values())
    return shown + [figures_decoder.next_token_figure(analysis.prediction),
                    figures_decoder.head_types_figure(head_types(analysis))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--short", type=int, default=128)
    parser.add_argument("--long", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-first-load", action="store_true", help="do not time the one-time conversion")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import gc

    from bench import forward_only, median_time, text_of  # bench/bench.py, next to this script

    row: dict[str, float | None] = {"first_load_s": None}
    if not args.skip_first_load:
        with tempfile.TemporaryDirectory() as fresh:
            row["first_load_s"] = load_seconds(args.model, fresh)
    load_seconds(args.model, os.environ.get("ATTNVIZ_CACHE_DIR", "") or str(Path.home() / ".cache/attnviz"))
    row["later_load_s"] = load_seconds(args.model, os.environ.get("ATTNVIZ_CACHE_DIR", "") or str(Path.home() / ".cache/attnviz"))

    import attnviz

    model = attnviz.load_model(args.model)
    short = text_of(args.short, model.tokenizer)
    row["forward_s"] = median_time(lambda: forward_only(model, short), args.repeat)
    row["analyze_s"] = median_time(lambda: attnviz.analyze(short, model), args.repeat)
    analysis = attnviz.analyze(short, model)
    row["figures_s"] = median_time(lambda: all_figures(analysis), args.repeat)
    del analysis
    gc.collect()
    row["rss_idle_mb"] = rss_mb()
    long = attnviz.analyze(text_of(args.long, model.tokenizer), model)
    all_figures(long)
    row["long_tokens"] = long.n_tokens
    del long
    gc.collect()
    row["rss_peak_mb"] = peak_mb()
    row["rss_after_mb"] = rss_mb()
    if args.json:
        print(json.dumps(row))
        return
    ratio = (row["analyze_s"] + row["figures_s"]) / row["forward_s"]
    first = f"{row['first_load_s']:.1f} s" if row["first_load_s"] is not None else "not measured"
    print(f"model {model.name}: first load {first}, later load {row['later_load_s']:.1f} s")
    print(f"{args.short} tokens: forward {row['forward_s'] * 1e3:.0f} ms, analyze {row['analyze_s'] * 1e3:.0f} ms, "
          f"figures {row['figures_s'] * 1e3:.0f} ms, (analyze+figures)/forward {ratio:.2f}")
    print(f"{row['long_tokens']} tokens: RSS idle {row['rss_idle_mb']:.0f} MB, peak {row['rss_peak_mb']:.0f} MB, "
          f"after {row['rss_after_mb']:.0f} MB")


if __name__ == "__main__":
    main()
