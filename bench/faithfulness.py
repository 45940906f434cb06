"""Timings of the faithfulness scoreboard and of value norms / gradient-weighted rollout against a forward pass.

    python bench/faithfulness.py            # medians of 5 runs (CPU time), built-in classifier, model warm
    python bench/faithfulness.py --dev 100 [--data PATH]   # the scoreboard averaged over SST-2 dev sentences

Scoreboard: a 40-token sentence, every method and the deletion forwards, end to end as ``attnviz.scoreboard``
runs them (each run on a new text, so nothing is cached), with each part timed on its own, and as the Explain page
runs it (the gradient methods its attribution section has already computed come from its cache); all of them
taking turns on each text. Value norms and
gradient-weighted rollout: 128 tokens, against ``extraction.forward`` (one forward with attentions),
the three taking turns on each text (3 × runs), so that their ratios see the same load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import DEV, read_texts  # noqa: E402  (bench/corpus.py: the SST-2 paths and reader)

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


WALL: dict[str, float] = {}  # median wall-clock ms of the last interleaved_ms call, by name


def interleaved_ms(fns: dict, runs: int) -> dict[str, float]:
    """Median CPU ms of each ``fns[name](i)``, the names taking turns for every i so that each sees the same load.

    CPU time is this process's own, which other jobs on a shared machine move far less than wall time (inference
    runs on one torch thread). Integrated gradients and the deletion forwards run in two halves on two threads, so CPU time
    is the sum of both threads and its wall time (kept in WALL) is what a user waits.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    walls: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(runs):
        for name, fn in fns.items():
            start, wall = time.process_time(), time.perf_counter()
            fn(i)
            times[name].append((time.process_time() - start) * 1000)
            walls[name].append((time.perf_counter() - wall) * 1000)
    WALL.clear()
    WALL.update({name: statistics.median(t) for name, t in walls.items()})
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dev", type=int, default=0, help="instead: the scoreboard over the first N dev sentences")
    parser.add_argument("--data", default=DEV)
    args = parser.parse_args()
    if args.dev:
        return dev_means(args.data, args.dev)

    import attnviz
    from attnviz.extraction import forward
    from attnviz.scoreboard import METHODS, method_scores

    m = attnviz.load_model(None)
    tok = m.tokenizer
    print(f"model: {m.name} on {m.device}; medians of {args.runs} runs, CPU time; load average {os.getloadavg()[0]:.1f}")
    attnviz.scoreboard(text_of(tok, 40, 99), model=m)  # warm-up: first calls pay one-off costs
    texts = [text_of(tok, 40, i) for i in range(args.runs)]
    assert all(len(tok(t)["input_ids"]) == 40 for t in texts)
    scores = {k: method_scores(k, texts[0], "positive", m) for k in METHODS}
    # The Explain page takes the gradient methods from its attribution cache: gradient × input (its default view)
    # is there before the button is pressed, integrated gradients too when they were the chosen method.
    gradient_methods = ("gradient_x_input", "integrated_gradients")
    shown = {k: [method_scores(k, t, "positive", m) for t in texts] for k in gradient_methods}

    def page(i: int, cached: tuple[str, ...]) -> None:
        scores = {k: shown[k][i] if k in cached else method_scores(k, texts[i], "positive", m) for k in METHODS}
        attnviz.scoreboard(texts[i], "positive", m, scores=scores)

    # Everything takes turns on each text, so that a change of load between figures does not move their ratios.
    ms = interleaved_ms({
        "scoreboard": lambda i: attnviz.scoreboard(texts[i], model=m),
        **{k: lambda i, k=k: method_scores(k, texts[i], "positive", m) for k in METHODS},
        "deletion forwards": lambda i: attnviz.scoreboard(texts[i], "positive", m, scores=scores),
        "page, fresh": lambda i: page(i, ("gradient_x_input",)),
        "page, IG chosen": lambda i: page(i, ("gradient_x_input", "integrated_gradients")),
    }, args.runs)
    print(f"scoreboard, 40 tokens: {WALL['scoreboard']:.0f} ms wall ({ms.pop('scoreboard'):.0f} ms CPU, "
          "integrated gradients and the deletion forwards in two halves on two threads)")
    fresh, chosen = ms.pop("page, fresh"), ms.pop("page, IG chosen")
    fresh_wall = WALL["page, fresh"]
    for name, value in ms.items():
        print(f"  {name:22s} {WALL[name]:7.1f} ms wall {value:7.1f} ms CPU")
    print(f"  on the Explain page: {fresh_wall:.0f} ms wall ({fresh:.0f} ms CPU) after gradient × input (its "
          f"default view), {WALL['page, IG chosen']:.0f} ms wall ({chosen:.0f} ms CPU) after integrated gradients "
          "were chosen")
    long = [text_of(tok, 128, i) for i in range(args.runs)]
    ids = [tok(t)["input_ids"] for t in long]
    assert all(len(i) == 128 for i in ids)
    ms = interleaved_ms({
        "forward": lambda i: forward(m, ids[i % len(ids)]),
        "value norms": lambda i: attnviz.value_norms(long[i % len(ids)], m),
        "grad rollout": lambda i: attnviz.grad_rollout(long[i % len(ids)], model=m),
    }, 3 * args.runs)
    fwd, vn, gr = ms["forward"], ms["value norms"], ms["grad rollout"]
    print(f"128 tokens: forward with attentions {fwd:.1f} ms; value norms {vn:.1f} ms ({vn / fwd:.2f}x); "
          f"gradient-weighted rollout {gr:.1f} ms ({gr / fwd:.2f}x)")
    return 0


def dev_means(path: str, n: int) -> int:
    """Each method's comprehensiveness and sufficiency, and their difference from the random ranking, averaged over
    the first ``n`` sentences of ``path`` (each explaining its predicted class), with the corpus command's own
    columns and summary (``python -m attnviz.corpus --faithfulness`` does the same over a whole file, resumably)."""
    import json

    import pandas as pd

    import attnviz
    from attnviz.corpus import faithful

    m = attnviz.load_model(None)
    texts = read_texts(path)[:n]
    start = time.perf_counter()
    table = faithful.summary(pd.DataFrame([faithful.row_values(text, m) for text in texts]))
    seconds = time.perf_counter() - start
    print(f"{len(texts)} sentences of {path}, {seconds:.0f} s")
    print(faithful.format_table(table))
    print(json.dumps({"sentences": len(texts), "seconds": round(seconds), "summary": table.round(4).astype(object).where(table.notna(), None).to_dict("records")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
