"""Forward latency of the built-in classifier against the bare packaged encoder, as the app runs them.

    OMP_NUM_THREADS=1 python -m bench.latency --data ../shared/data/sst2/dev.tsv --n 200

One sentence at a time, attentions returned, the two models alternating on each sentence so that load from other
processes hits both alike. Prints the median and the mean of per-sentence milliseconds, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="labelled .tsv file; its sentences are the inputs")
    parser.add_argument("--n", type=int, default=200, help="number of sentences")
    parser.add_argument("--repeats", type=int, default=3, help="forwards per sentence and model (best is kept)")
    args = parser.parse_args(argv)

    import torch

    import attnviz
    from attnviz.evaluate import read_labelled

    texts = read_labelled(args.data)[0][: args.n]
    models = {"classifier": attnviz.load_model(None), "encoder": attnviz.load_model(attnviz.BUILTIN_ZERO_SHOT_NAME)}
    times: dict[str, list[float]] = {name: [] for name in models}
    with torch.inference_mode():
        for i, text in enumerate(texts):
            ids = models["classifier"].tokenizer(text, return_tensors="pt")["input_ids"]
            order = list(models) if i % 2 == 0 else list(reversed(models))
            for name in order:
                best = float("inf")
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    models[name].model(input_ids=ids, output_attentions=True)
                    best = min(best, time.perf_counter() - start)
                times[name].append(best * 1000)
    for name, ms in times.items():
        print(f"{name:<11} median {statistics.median(ms):7.2f} ms   mean {statistics.fmean(ms):7.2f} ms   n={len(ms)}")
    ratio = statistics.median(times["classifier"]) / statistics.median(times["encoder"])
    print(f"classifier / encoder (median): {ratio:.3f}   threads: {torch.get_num_threads()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
