"""Corpus mode figures: SST-2 dev end to end, RSS and bytes per row at scale, Ray vs local parity, query latency.

Run from the repository root (each part prints one JSON line):
  python bench/corpus.py dev    [--data ../shared/data/sst2/dev.tsv]
  python bench/corpus.py scale  --rows 100000 [--data ../shared/data/sst2/train.tsv]
  python bench/corpus.py ray    --rows 200
  python bench/corpus.py query  --rows 100000 --run runs/dev

dev: the bare batched forward with attentions (length-sorted batches of 32, one torch thread) against
corpus.run on the same file with the model already loaded, alternated --repeat times (median throughput ratio,
in wall time and in the process's CPU time), and the command line end to end
(a fresh process: imports, model load, run) as wall time.
scale: the command line on N rows (the file's rows repeated), its RSS sampled every 0.5 s, Parquet bytes/row.
ray: the same rows through both engines; the largest difference in any statistic or probability.
query: a run replicated to N rows (row ids renumbered), then the Corpus page's queries timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

DEV = "../shared/data/sst2/dev.tsv"
TRAIN = "../shared/data/sst2/train.tsv"


def bare_forward_s(loaded, texts: list[str], batch_size: int = 32) -> tuple[float, float]:
    """The floor: the model's batched forward with attentions, nothing else, on length-sorted batches.

    Returns (wall, CPU) seconds: on a shared machine the process's own CPU time moves far less with the load.
    """
    import torch

    ids = loaded.tokenizer(texts, truncation=True, max_length=loaded.max_tokens)["input_ids"]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    wall, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = loaded.tokenizer.pad({"input_ids": [ids[i] for i in order[start : start + batch_size]]}, return_tensors="pt")
            loaded.model(**batch, output_attentions=True)
    return time.perf_counter() - wall, time.process_time() - cpu


def read_texts(path: str) -> list[str]:
    return [line.split("\t")[0] for line in Path(path).read_text(encoding="utf-8").splitlines()[1:] if line.strip()]


def part_dev(args) -> dict:
    import attnviz
    from attnviz import corpus

    loaded = attnviz.load_model(None)
    texts = read_texts(args.data)
    ratios, cpu_ratios, forwards, runs = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        # Alternated, each pair a ratio: the load other jobs put on the machine moves both sides of a pair alike.
        for k in range(args.repeat):
            forward, forward_cpu = bare_forward_s(loaded, texts)
            wall, cpu = time.perf_counter(), time.process_time()
            corpus.run(args.data, Path(tmp) / f"a{k}", text_column="sentence", label_column="label", model=loaded)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            forwards.append(forward)
            runs.append(wall)
            ratios.append(forward / wall)
            cpu_ratios.append(forward_cpu / cpu)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "attnviz.corpus", "--input", args.data, "--text-column", "sentence",
             "--label-column", "label", "--out", str(Path(tmp) / "b")], check=True, capture_output=True,
        )
        end_to_end = time.perf_counter() - started
    return {
        "rows": len(texts), "repeats": args.repeat, "bare_forward_s": [round(f, 2) for f in forwards],
        "run_s_model_loaded": [round(r, 2) for r in runs],
        "throughput_ratio_median": round(float(np.median(ratios)), 3),
        "cpu_time_ratio_median": round(float(np.median(cpu_ratios)), 3),
        "command_line_end_to_end_s": round(end_to_end, 2), "load_average": list(os.getloadavg()),
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def part_scale(args) -> dict:
    texts = read_texts(args.data)
    rows = [texts[i % len(texts)] for i in range(args.rows)]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.parquet"
        pq.write_table(pa.table({"text": rows}), source)
        out = Path(tmp) / "out"
        proc = subprocess.Popen(
            [sys.executable, "-m", "attnviz.corpus", "--input", str(source), "--out", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        samples, started = [], time.perf_counter()
        while proc.poll() is None:
            try:
                samples.append((round(time.perf_counter() - started, 1), round(rss_mb(proc.pid), 1)))
            except OSError:
                break
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    rss = np.array([r for _, r in samples])
    return {
        "rows": args.rows, "seconds": round(seconds, 1), "rows_per_s": round(args.rows / seconds, 1),
        "rss_peak_mb": float(rss.max()),
        # The first quarter includes imports and the model load; the others show whether RSS stays flat.
        "rss_median_by_quarter_mb": [float(np.median(q)) for q in np.array_split(rss, 4)],
        "parquet_bytes_per_row": round(size / args.rows),
    }


def part_ray(args) -> dict:
    from attnviz import corpus
    from attnviz.corpus.stats import STATISTICS

    lines = Path(args.data).read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.tsv"
        source.write_text("\n".join(lines[: args.rows + 1]) + "\n", encoding="utf-8")
        times, tables = {}, {}
        for engine in ("local", "ray"):
            out = Path(tmp) / engine
            result = corpus.run(source, out, text_column="sentence", label_column="label", engine=engine, shard_rows=100)
            times[engine] = round(result.seconds, 1)
            tables[engine] = pa.concat_tables(pq.read_table(p) for p in out.glob("*.parquet")).sort_by("row_id")
    a, b = tables["local"], tables["ray"]
    diff = max(
        float(np.max(np.abs(np.stack(a.column(c).to_numpy(zero_copy_only=False)) - np.stack(b.column(c).to_numpy(zero_copy_only=False)))))
        for c in (*STATISTICS, "probs")
    )
    same = a.column("predicted").to_pylist() == b.column("predicted").to_pylist()
    return {"rows": args.rows, "seconds": times, "same_predictions": same, "max_abs_difference": diff}


def part_query(args) -> dict:
    from attnviz import corpus

    run = Path(args.run)
    base = pa.concat_tables(pq.read_table(p) for p in sorted(run.glob("*.parquet")))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "big"
        out.mkdir()
        shutil.copy(run / "manifest.json", out / "manifest.json")
        copies = -(-args.rows // base.num_rows)
        for k in range(copies):
            part = base.slice(0, min(base.num_rows, args.rows - k * base.num_rows))
            ids = pa.array(np.arange(part.num_rows) + k * base.num_rows, pa.int64())
            pq.write_table(part.set_column(0, "row_id", ids), out / f"shard-{k:05d}.parquet", compression="zstd")
        c = corpus.open_run(out)
        timings = {}
        queries = {
            "top_k": lambda: c.top_k("previous_token", 2, 3, k=10),
            "slice_metrics": lambda: c.metrics(corpus.Slice(label="negative", min_tokens=17, max_tokens=32)),
            "search_metrics": lambda: c.metrics(corpus.Slice(search="not")),
            "head_means": lambda: c.head_means("entropy"),
            "misclassified": lambda: c.misclassified(k=50),
        }
        for name, query in queries.items():
            query()
            started = time.perf_counter()
            for _ in range(3):
                query()
            timings[name + "_s"] = round((time.perf_counter() - started) / 3, 3)
        rows = c.counts()["rows"]
    return {"rows": rows, **timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("dev", "scale", "ray", "query"))
    parser.add_argument("--data", default=None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="dev: forward/run pairs, the median ratio reported")
    parser.add_argument("--run", default=None, help="query: a finished run to replicate")
    args = parser.parse_args()
    args.data = args.data or (TRAIN if args.part == "scale" else DEV)
    part = {"dev": part_dev, "scale": part_scale, "ray": part_ray, "query": part_query}[args.part]
    print(json.dumps({"part": args.part, **part(args)}))


if __name__ == "__main__":
    main()
