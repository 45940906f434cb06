"""The built-in language model's figures: load times, analysis overhead at 128 tokens, memory at 1,024 tokens.

Run from the repository root:  python bench/decoder.py [--json] [--model smollm2] [--short 128] [--long 1024]

  first_load_s   load_model in a fresh process with an empty cache folder (includes the GGUF conversion)
  later_load_s   load_model in a fresh process once the converted weights are cached (imports included)
  *_only_s       the same without importing torch and transformers (what a server that has loaded a model pays)
  forward_s      the model's own forward pass with attentions at --short tokens (the floor), median
  analyze_s      attnviz.analyze at --short tokens, median
  figures_s      every figure Inspect draws for it (next token, selected head, overview, one average, head types)
  long_forward_s / long_analyze_s   at --long tokens: the bare forward with attentions, and analyze as the app runs
                 it (kept layer by layer, attnviz.compact) with head types and every Inspect figure
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Seconds for the imports a server has already done once it has loaded any model, then for load_model itself.
_LOAD = (
    "import time; t = time.perf_counter(); import attnviz, transformers; from transformers import LlamaForCausalLM; "
    "i = time.perf_counter(); attnviz.load_model({!r}); print(i - t, time.perf_counter() - i)"
)


def load_seconds(model: str, cache_dir: str) -> tuple[float, float]:
    """(imports, load_model) seconds in a fresh process."""
    env = dict(os.environ, ATTNVIZ_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", _LOAD.format(model)], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    imports, load = out.split()[-2:]
    return float(imports), float(load)


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

    row: dict[str, float | None] = {"first_load_s": None, "first_load_only_s": None}
    if not args.skip_first_load:
        with tempfile.TemporaryDirectory() as fresh:
            imports, load = load_seconds(args.model, fresh)
            row["first_load_s"], row["first_load_only_s"] = imports + load, load
    cache = os.environ.get("ATTNVIZ_CACHE_DIR", "") or str(Path.home() / ".cache/attnviz")
    load_seconds(args.model, cache)
    imports, load = load_seconds(args.model, cache)
    row["later_load_s"], row["later_load_only_s"] = imports + load, load

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
    from attnviz.compact import COMPACT_BYTES  # what the app keeps in full

    long_text = text_of(args.long, model.tokenizer)
    start = time.perf_counter()
    long = attnviz.analyze(long_text, model, compact_bytes=COMPACT_BYTES)
    all_figures(long)
    row["long_analyze_s"] = time.perf_counter() - start
    row["long_tokens"] = long.n_tokens
    del long
    gc.collect()
    row["rss_peak_mb"] = peak_mb()
    row["rss_after_mb"] = rss_mb()
    row["long_forward_s"] = median_time(lambda: forward_only(model, long_text), 1)  # after: its peak is not ours
    if args.json:
        print(json.dumps(row))
        return
    ratio = (row["analyze_s"] + row["figures_s"]) / row["forward_s"]
    first = (f"{row['first_load_s']:.1f} s ({row['first_load_only_s']:.1f} s after the imports)"
             if row["first_load_s"] is not None else "not measured")
    print(f"model {model.name}: first load {first}, later load {row['later_load_s']:.1f} s "
          f"({row['later_load_only_s']:.1f} s after the imports)")
    print(f"{args.short} tokens: forward {row['forward_s'] * 1e3:.0f} ms, analyze {row['analyze_s'] * 1e3:.0f} ms, "
          f"figures {row['figures_s'] * 1e3:.0f} ms, (analyze+figures)/forward {ratio:.2f}")
    print(f"{row['long_tokens']} tokens: analyze (compact) + figures {row['long_analyze_s']:.1f} s, bare forward with "
          f"attentions {row['long_forward_s']:.1f} s, ratio {row['long_analyze_s'] / row['long_forward_s']:.2f}")
    print(f"{row['long_tokens']} tokens: RSS idle {row['rss_idle_mb']:.0f} MB, peak {row['rss_peak_mb']:.0f} MB, "
          f"after {row['rss_after_mb']:.0f} MB")


if __name__ == "__main__":
    main()
