"""Run a whole file through the model into Parquet (per-row predictions and per-head statistics).

    python -m attnviz.corpus --input ../shared/data/sst2/dev.tsv --text-column sentence --label-column label --out runs/dev
    python -m attnviz.corpus --input big.parquet --text-column text --out runs/big --engine ray
    python -m attnviz.corpus --input dev.tsv --text-column sentence --out runs/dev-faith --faithfulness

Rerunning the same command skips the shards already done; rows that cannot be analysed are recorded with their
error. Then open the Corpus page, or query the run with attnviz.corpus.open_run(out). With --faithfulness each row
also gets every explanation method's comprehensiveness and sufficiency (about 2 s a sentence); the command prints
their summary and writes it to out/faithfulness.csv.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from attnviz.corpus import faithful
from attnviz.errors import AttnvizError
from attnviz.evaluate import DEFAULT_LABEL_NAMES


def main(argv: Sequence[str] | None = None) -> int:
    from tqdm import tqdm

    from attnviz.corpus.query import open_run
    from attnviz.corpus.run import ENGINES, FAITHFULNESS_SHARD_ROWS, SHARD_ROWS, run

    parser = argparse.ArgumentParser(prog="python -m attnviz.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help=".csv, .tsv or .parquet file")
    parser.add_argument("--out", required=True, help="folder for the Parquet shards and manifest.json")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default=None, help="gold labels (names, or indices into --label-names)")
    parser.add_argument("--label-names", default=",".join(DEFAULT_LABEL_NAMES), help="names of labels 0, 1, ...")
    parser.add_argument("--model", default=None, help="model name or local folder (default: the built-in classifier)")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="only the first N rows")
    parser.add_argument(
        "--shard-rows", type=int, default=None,
        help=f"rows per resumable shard (default {SHARD_ROWS}, or {FAITHFULNESS_SHARD_ROWS} with --faithfulness)",
    )
    parser.add_argument(
        "--faithfulness", action="store_true",
        help="also each row's faithfulness scoreboard: comprehensiveness and sufficiency of every explanation method "
        "and of a random ranking (slow: about 2 s a sentence on one core; needs a model with classes)",
    )
    args = parser.parse_args(argv)
    names = tuple(n.strip() for n in args.label_names.split(",") if n.strip())
    bars: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        if not bars:  # made at the first rows, so the model's load time does not count against rows/s
            bars.append(tqdm(total=total, unit="rows", dynamic_ncols=True, smoothing=0.1))
        bars[0].total = total
        bars[0].update(done - bars[0].n)

    try:
        result = run(
            args.input, args.out, text_column=args.text_column, label_column=args.label_column, model=args.model,
            engine=args.engine, batch_size=args.batch_size, limit=args.limit, label_names=names,
            shard_rows=args.shard_rows, progress=progress, trusted_folder=True, faithfulness=args.faithfulness,
        )
        if args.faithfulness:
            table = open_run(result.out).faithfulness()
            table.to_csv(result.out / "faithfulness.csv", index=False)
    except (AttnvizError, OSError) as exc:  # a message for the user, not a traceback
        for bar in bars:
            bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for bar in bars:
        bar.close()
    print(
        f"{result.rows} rows in {result.out} ({result.processed} analysed now, {result.skipped_shards} shards already "
        f"done), {result.bad_rows} bad rows, {result.malformed_lines} malformed lines, {result.seconds:.1f} s"
    )
    if args.faithfulness:
        print(faithful.format_table(table))
        print(f"(also in {result.out / 'faithfulness.csv'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
