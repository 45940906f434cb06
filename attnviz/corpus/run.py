"""``run``: a whole file through the model, shard by shard, into Parquet under ``out/``; reruns skip done shards.

out/manifest.json says what the run is (input, columns, model, labels, layers × heads) and which shards are
done; out/*.parquet hold the results (``attnviz.corpus.batch.output_schema``). A shard counts as done only once
its file is complete (written to a temporary name, then renamed) and the manifest names it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from attnviz.corpus.batch import CorpusBatch
from attnviz.corpus.reader import Source
from attnviz.corpus.stats import STATISTICS
from attnviz.errors import InputError
from attnviz.evaluate import DEFAULT_LABEL_NAMES
from attnviz.loading import LoadedModel, resolve_source

FORMAT = "attnviz-corpus/1"
MANIFEST = "manifest.json"
SHARD_ROWS = 4096
# With faithfulness a row takes ~2 s instead of ~10 ms: smaller shards, so a stopped run loses minutes, not hours.
FAITHFULNESS_SHARD_ROWS = 64
ENGINES = ("local", "ray")
# zstd with byte-stream-split floats: the statistics are most of a row's bytes and compress best this way.
# Dictionaries only where values repeat; the float statistics are all distinct, and a dictionary made them
# 40 % larger than their raw bytes (measured on SST-2 dev: 3.4 KB/row with dictionaries, 2.0 KB without).
PARQUET_OPTIONS = {
    "compression": "zstd",
    "use_dictionary": ["label", "error", "predicted", "tokens.list.element"],
    "use_byte_stream_split": [f"{s}.list.element" for s in STATISTICS] + ["confidence", "probs.list.element"],
}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunResult:
    """What a call to ``run`` did: rows in the run, rows computed now (the rest were done before), bad rows."""

    out: Path
    rows: int
    processed: int
    skipped_shards: int
    bad_rows: int
    malformed_lines: int
    seconds: float


def run(
    input: str | os.PathLike,
    out: str | os.PathLike,
    text_column: str = "text",
    label_column: str | None = None,
    model: LoadedModel | str | None = None,
    engine: str = "local",
    batch_size: int = 32,
    limit: int | None = None,
    *,
    label_names: Sequence[str] = DEFAULT_LABEL_NAMES,
    shard_rows: int | None = None,
    progress: Progress | None = None,
    trusted_folder: bool = False,
    concurrency: int | None = None,
    faithfulness: bool = False,
) -> RunResult:
    """Analyse every row of ``input`` (.csv, .tsv, .parquet) into Parquet shards under ``out``.

    Integer gold labels index ``label_names`` (as ``attnviz.evaluate`` reads them). ``progress(done, total)`` is
    called as rows finish. ``engine="ray"`` runs the same per-batch callable on Ray Data (``attnviz[ray]``).
    ``faithfulness``: also every row's faithfulness scoreboard, one column per method and metric
    (``attnviz.corpus.faithful``; summarised by ``open_run(out).faithfulness()``). ``shard_rows`` defaults to
    SHARD_ROWS, or FAITHFULNESS_SHARD_ROWS with faithfulness.
    """
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {ENGINES}, not {engine!r}.")
    started = time.perf_counter()
    if shard_rows is None:
        shard_rows = FAITHFULNESS_SHARD_ROWS if faithfulness else SHARD_ROWS
    source = Source(Path(input), text_column, label_column, tuple(label_names), limit)
    total = source.estimated_rows()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _open_manifest(out, source, _model_name(model, trusted_folder), shard_rows, faithfulness)
    worker: CorpusBatch | None = None
    done_rows = skipped = processed = 0
    pending: list[tuple[int, pa.Table]] = []
    for index, shard in source.shards(shard_rows):
        if _is_done(out, manifest, index, shard.num_rows):
            skipped += 1
            done_rows += shard.num_rows
            _report(progress, done_rows, total)
            continue
        if worker is None:  # loaded only once there is work: a finished run reruns in a second
            worker = CorpusBatch(model, batch_size, trusted_folder, faithfulness)
            _describe_model(out, manifest, worker.loaded)
        if engine == "ray":
            pending.append((index, shard))
            continue
        worker.progress = lambda n, base=done_rows: _report(progress, base + n, total)
        _write_shard(out, manifest, index, worker(shard))
        done_rows += shard.num_rows
        processed += shard.num_rows
    if pending:
        from attnviz.corpus.ray_engine import run_ray

        assert worker is not None
        run_ray(
            out, manifest, pending, worker.loaded.name, batch_size, trusted_folder, concurrency, _write_manifest,
            faithfulness,
        )
        processed += sum(t.num_rows for _, t in pending)
        done_rows += processed
        _report(progress, done_rows, total)
    manifest["malformed_lines"] = source.malformed
    manifest["rows"] = done_rows
    _write_manifest(out, manifest)
    return RunResult(
        out=out, rows=done_rows, processed=processed, skipped_shards=skipped, bad_rows=_bad_rows(out),
        malformed_lines=len(source.malformed), seconds=time.perf_counter() - started,
    )


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, max(total, done))


def _model_name(model: LoadedModel | str | None, trusted_folder: bool) -> str:
    """The display name a model loads under, without loading it."""
    return model.name if isinstance(model, LoadedModel) else resolve_source(model, trusted_folder)[0]


def _open_manifest(out: Path, source: Source, model_name: str, shard_rows: int, faithfulness: bool) -> dict:
    """The run's description; a rerun must describe the same run, or ``out`` belongs to another one."""
    identity = {
        "format": FORMAT,
        "input": str(source.path.resolve()),
        "text_column": source.text_column,
        "label_column": source.label_column,
        "label_names": list(source.label_names),
        "model": model_name,
        "statistics": list(STATISTICS),
        "shard_rows": shard_rows,
        "faithfulness": bool(faithfulness),
    }
    path = out / MANIFEST
    if path.is_file():
        found = json.loads(path.read_text(encoding="utf-8"))
        # Runs made before the faithfulness option have no such key: they are runs without it.
        differs = [k for k, v in identity.items() if found.get(k, False if k == "faithfulness" else None) != v]
        if differs:
            raise InputError(
                f"{out} holds another run (its {', '.join(differs)} differ). Choose a new output folder, or delete it."
            )
        return found
    if any(out.glob("*.parquet")):
        raise InputError(f"{out} already holds Parquet files that are not a corpus run. Choose an empty folder.")
    manifest = identity | {"done": {}, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _write_manifest(out, manifest)
    return manifest


def _describe_model(out: Path, manifest: dict, loaded: LoadedModel) -> None:
    """Layers × heads and the model's own labels, which queries need to read the statistics."""
    manifest.update(
        n_layers=loaded.n_layers, n_heads=loaded.n_heads,
        labels=list(loaded.labels) if loaded.kind == "classifier" else [], model_kind=loaded.kind,
    )
    _write_manifest(out, manifest)


def _write_manifest(out: Path, manifest: dict) -> None:
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)


def _is_done(out: Path, manifest: dict, index: int, rows: int) -> bool:
    entry = manifest.get("done", {}).get(str(index))
    return bool(entry) and entry.get("rows") == rows and all((out / f).is_file() for f in entry.get("files", ()))


def _write_shard(out: Path, manifest: dict, index: int, table: pa.Table) -> None:
    name = f"shard-{index:05d}.parquet"
    tmp = out / f".{name}.tmp"
    pq.write_table(table, tmp, **PARQUET_OPTIONS)
    os.replace(tmp, out / name)
    manifest.setdefault("done", {})[str(index)] = {"rows": table.num_rows, "files": [name]}
    _write_manifest(out, manifest)


def _bad_rows(out: Path) -> int:
    """Rows of the run recorded with an error instead of results."""
    total = 0
    for file in out.glob("*.parquet"):
        errors = pq.read_table(file, columns=["error"]).column("error")
        total += len(errors) - errors.null_count
    return total
