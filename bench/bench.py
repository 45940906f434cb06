"""How much attnviz adds on top of the model's forward pass, and how many bytes its figures send.

Run from the repository root:  python bench/bench.py [--json] [--sizes 16 64 128 256 512] [--repeat 7]

For each n (tokens, special tokens included) it prints medians of --repeat runs, all in one process:
  forward_s      the model forward alone with attentions (the floor)
  analyze_s      attnviz.analyze end to end (tokenize, forward under the gate, validate, predict)
  figures_s      building every figure the Inspect page shows on arrival (prediction, selected head,
                 the all-heads overview, one average)
  payload_bytes  JSON bytes of those figures as Streamlit sends them
The table adds serialise_s: turning those figures into that JSON, which st.plotly_chart does on the page
(plotly.io.to_json, validate=False), and the ratio with it counted too.
  bertviz_bytes  BertViz model_view HTML for the same attentions and tokens, or null if bertviz is missing
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import attnviz  # noqa: E402
from attnviz import figures  # noqa: E402

WORDS = (
    "the committee met on tuesday to discuss the budget for the new library and agreed that the plan was "
    "good although several members asked for more time to read the report before the final vote"
).split()


def text_of(n_tokens: int, tokenizer) -> str:
    """A text that the tokenizer turns into exactly ``n_tokens`` tokens, specials included."""
    words: list[str] = []
    i = 0
    while len(tokenizer(" ".join(words))["input_ids"]) < n_tokens:
        words.append(WORDS[i % len(WORDS)])
        i += 1
    while len(tokenizer(" ".join(words))["input_ids"]) > n_tokens:
        words.pop()
    return " ".join(words)


def median_time(fn, repeat: int) -> float:
    fn()  # warm-up: first calls pay for allocations and lazy imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forward_only(model, text: str):
    import torch

    ids = model.tokenizer(text, return_tensors="pt", truncation=True, max_length=model.max_tokens)
    with torch.inference_mode():
        return model.model(**ids, output_attentions=True)


def bertviz_bytes(attentions: np.ndarray, tokens: list[str]) -> int | None:
    try:
        import torch
        from bertviz import model_view
    except ImportError:
        return None
    per_layer = [torch.tensor(attentions[i][None]) for i in range(attentions.shape[0])]
    html = model_view(per_layer, tokens, html_action="return")
    return len(html.data.encode("utf-8"))


def build_figures(analysis) -> list:
    return list(figures.inspect_figures(analysis, layer=0, head=0).values())


def serialise(shown: list) -> list[str]:
    """The figures as the JSON strings st.plotly_chart puts on the wire."""
    import plotly.io

    return [plotly.io.to_json(fig, validate=False) for fig in shown]


def measure(model, n: int, repeat: int) -> dict:
    text = text_of(n, model.tokenizer)
    analysis = attnviz.analyze(text, model)
    assert analysis.n_tokens == n, (analysis.n_tokens, n)
    shown = build_figures(analysis)
    payload = sum(len(spec.encode("utf-8")) for spec in serialise(shown))
    return {
        "n": n,
        "forward_s": median_time(lambda: forward_only(model, text), repeat),
        "analyze_s": median_time(lambda: attnviz.analyze(text, model), repeat),
        "figures_s": median_time(lambda: build_figures(analysis), repeat),
        "payload_bytes": payload,
        "bertviz_bytes": bertviz_bytes(analysis.attentions, [t.text for t in analysis.tokens]),
        "serialise_s": median_time(lambda: serialise(shown), repeat),
    }


KEYS = ("n", "forward_s", "analyze_s", "figures_s", "payload_bytes", "bertviz_bytes")


REJECTED = {
    "empty": "",
    "spaces and zero-width": " \u200b\u200d\ufeff " * 1000,
    "1 MB of NUL": "\x00" * 1_000_000,
    "1 MB of controls": "\x01\x1b\x7f" * 333_333,
}


def reject_times(model) -> dict[str, float]:
    """Seconds until attnviz.analyze refuses each input with an AttnvizError (no forward pass runs)."""
    times = {}
    for name, text in REJECTED.items():
        start = time.perf_counter()
        try:
            attnviz.analyze(text, model)
        except attnviz.AttnvizError:
            times[name] = time.perf_counter() - start
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per n")
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 128, 256, 512])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--model", default=None, help="model name or folder (default: the built-in model)")
    args = parser.parse_args(argv)
    model = attnviz.load_model(args.model, trusted_folder=True)
    rows = [measure(model, n, args.repeat) for n in args.sizes]
    if args.json:
        for row in rows:
            print(json.dumps({k: row[k] for k in KEYS}))
        return
    if rows[0]["bertviz_bytes"] is None:
        print("bertviz is not installed (pip install bertviz): bertviz_bytes not measured")
    print(f"model: {model.name} on {model.device}; medians of {args.repeat} runs")
    print(f"{'n':>5} {'forward ms':>11} {'analyze ms':>11} {'figures ms':>11} {'(an+fig)/fwd':>13} "
          f"{'json ms':>8} {'+json/fwd':>10} {'payload KB':>11} {'bertviz KB':>11} {'bertviz/payload':>16}")
    for r in rows:
        ratio = (r["analyze_s"] + r["figures_s"]) / r["forward_s"]
        with_json = (r["analyze_s"] + r["figures_s"] + r["serialise_s"]) / r["forward_s"]
        bv = r["bertviz_bytes"]
        print(f"{r['n']:>5} {r['forward_s'] * 1e3:>11.1f} {r['analyze_s'] * 1e3:>11.1f} {r['figures_s'] * 1e3:>11.1f} "
              f"{ratio:>13.2f} {r['serialise_s'] * 1e3:>8.1f} {with_json:>10.2f} {r['payload_bytes'] / 1e3:>11.1f} "
              f"{(bv / 1e3 if bv else float('nan')):>11.1f} {(bv / r['payload_bytes'] if bv else float('nan')):>16.1f}")
    refused = reject_times(model)
    print("rejected input answered in: " + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in refused.items()))


if __name__ == "__main__":
    main()
