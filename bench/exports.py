"""Time and peak extra memory of every export at 512 tokens with the built-in model (one process, from the repo root).

  python bench/exports.py [--tokens 512]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import attnviz  # noqa: E402
from attnviz import export  # noqa: E402
from attnviz.ui.exports import FLOAT32_LIMIT_BYTES  # noqa: E402


def measure(build) -> tuple[float, float, int]:
    """Seconds (untraced: tracing slows allocation), peak extra MB (traced, NumPy's buffers included), bytes."""
    start = time.perf_counter()
    build()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    data = build()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 1e6, len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=512)
    args = parser.parse_args()
    model = attnviz.load_model(None)
    text = " ".join(["the students read the story about a quiet town"] * args.tokens)
    analysis = attnviz.analyze(text, model, max_tokens=args.tokens)
    att, toks, n_layers = analysis.attentions, analysis.tokens, analysis.n_layers
    half = "float32" if att.size * 4 <= FLOAT32_LIMIT_BYTES else "float16"
    builds = {
        f"All (.npz, {half}, as the page offers it)": lambda: export.tensor_npz(att, toks, model.name, range(n_layers), half),
        "All (.npz, float32)": lambda: export.tensor_npz(att, toks, model.name, range(n_layers), "float32"),
        "Head CSV": lambda: export.head_csv(att[0, 0], toks),
        "Head JSON": lambda: export.to_json(att[:1, :1], toks, model.name, [0]),
    }
    print(f"{analysis.n_tokens} tokens, tensor {att.nbytes / 1e6:.1f} MB float32; best of 3")
    for name, build in builds.items():
        runs = [measure(build) for _ in range(3)]
        seconds, peak, size = min(runs)
        print(f"{name:42s} {seconds:6.3f} s  peak extra {peak:6.1f} MB  file {size / 1e6:6.1f} MB")
    for name, shape in (("Layer CSV/JSON", att[:1].shape), ("All CSV/JSON", att.shape)):
        try:
            export.check_text_export(shape, name)
        except export.ExportTooLarge as exc:
            print(f"{name:42s} capped: {exc}")


if __name__ == "__main__":
    main()
