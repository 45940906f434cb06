"""Timings of the faithfulness scoreboard and of value norms / gradient-weighted rollout against a forward pass.

    python bench/faithfulness.py            # medians of 5 runs, built-in classifier, model warm

Scoreboard: a 40-token sentence, every method and the deletion forwards, end to end as ``attnviz.scoreboard``
runs them (each run on a new text, so nothing is cached), with each part timed on its own. Value norms and
gradient-weighted rollout: 128 tokens, against ``extraction.forward`` (one forward with attentions).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = (
    "the film was a slow quiet and thoughtful story about two old friends who meet again after many years and "
    "i loved every minute of it although the ending felt rushed and the music was far too loud in places while "
    "the actors clearly had fun with a script that never quite knew what it wanted to say about growing older"
).split()


def text_of(tokenizer, n_tokens: int, shift: int) -> str:
    """A text of exactly ``n_tokens`` tokens ([CLS] and [SEP] included); ``shift`` rotates the words."""
    words = (WORDS[shift % len(WORDS):] + WORDS[: shift % len(WORDS)]) * 8
    ids = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][: n_tokens - 2]
    return tokenizer.decode(ids)


def median_ms(fn, runs: int) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import attnviz
    from attnviz.extraction import forward
    from attnviz.scoreboard import METHODS, method_scores

    m = attnviz.load_model(None)
    tok = m.tokenizer
    print(f"model: {m.name} on {m.device}; medians of {args.runs} runs")
    attnviz.scoreboard(text_of(tok, 40, 99), model=m)  # warm-up: first calls pay one-off costs
    texts = [text_of(tok, 40, i) for i in range(args.runs)]
    assert all(len(tok(t)["input_ids"]) == 40 for t in texts)
    total = median_ms(lambda i: attnviz.scoreboard(texts[i], model=m), args.runs)
    parts = {k: median_ms(lambda i, k=k: method_scores(k, texts[i], "positive", m), args.runs) for k in METHODS}
    scores = {k: method_scores(k, texts[0], "positive", m) for k in METHODS}
    parts["deletion forwards"] = median_ms(lambda i: attnviz.scoreboard(texts[i], "positive", m, scores=scores), args.runs)
    print(f"scoreboard, 40 tokens: {total:.0f} ms")
    for name, ms in parts.items():
        print(f"  {name:22s} {ms:7.1f} ms")
    long = [text_of(tok, 128, i) for i in range(args.runs)]
    ids = [tok(t)["input_ids"] for t in long]
    assert all(len(i) == 128 for i in ids)
    fwd = median_ms(lambda i: forward(m, ids[i]), args.runs)
    vn = median_ms(lambda i: attnviz.value_norms(long[i], m), args.runs)
    gr = median_ms(lambda i: attnviz.grad_rollout(long[i], model=m), args.runs)
    print(f"128 tokens: forward with attentions {fwd:.1f} ms; value norms {vn:.1f} ms ({vn / fwd:.2f}x); "
          f"gradient-weighted rollout {gr:.1f} ms ({gr / fwd:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
