"""``engine="ray"``: the same ``CorpusBatch`` in Ray Data's ``map_batches``, one model per actor.

``ray.init()`` joins the cluster named by ``RAY_ADDRESS`` when it is set, otherwise starts one on this machine.
The pending input shards are first written under ``out/_input/`` (row ids fixed there, so both engines number
rows alike); ``out`` must therefore be a folder every node can read and write (NFS, or the one machine).
Measured with Ray 2.60 on 2 cores: actors asking for a whole CPU each starve Ray's own read and write tasks and
the run hangs, so each actor asks for half a CPU.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from attnviz.corpus.batch import CorpusBatch
from attnviz.errors import AttnvizError

ACTOR_CPUS = 0.5
ROWS_PER_CALL = 1024  # rows handed to one actor call; sorted by length inside it, then run in batches


def run_ray(
    out: Path,
    manifest: dict,
    pending: list[tuple[int, pa.Table]],
    model_name: str,
    batch_size: int,
    trusted_folder: bool,
    concurrency: int | None,
    write_manifest: Callable[[Path, dict], None],
    faithfulness: bool = False,
) -> None:
    """Run ``pending`` (shard index, input table) on Ray; mark them done in ``manifest`` once all are written."""
    try:
        import ray
    except ImportError as exc:
        raise AttnvizError("The Ray engine needs Ray: pip install -r requirements-ray.txt") from exc
    from attnviz.corpus.run import PARQUET_OPTIONS

    inputs = out / "_input"
    inputs.mkdir(exist_ok=True)
    # One file, one row group per shard: Ray reads row groups in parallel, and one path keeps its listing on one
    # thread (Ray 2.60 resolves many paths on threads that race on importing fsspec's optional HTTP module).
    source = inputs / "pending.parquet"
    with pq.ParquetWriter(source, pending[0][1].schema) as writer:
        for _, table in pending:
            writer.write_table(table, row_group_size=max(1, table.num_rows))
    staging = out / "_ray_tmp"
    shutil.rmtree(staging, ignore_errors=True)  # what a failed earlier attempt left
    started_here = not ray.is_initialized()
    if started_here:
        if os.environ.get("RAY_ADDRESS"):
            ray.init()  # joins the cluster RAY_ADDRESS names; its resources are the cluster's to set
        else:
            ray.init(include_dashboard=False, log_to_driver=False)
    try:
        actors = concurrency or max(1, int(ray.cluster_resources().get("CPU", 1)))
        (
            ray.data.read_parquet(str(source))
            .map_batches(
                CorpusBatch,
                fn_constructor_kwargs={
                    "model": model_name, "batch_size": batch_size, "trusted_folder": trusted_folder,
                    "faithfulness": faithfulness,
                },
                batch_size=ROWS_PER_CALL,
                batch_format="pyarrow",
                concurrency=actors,
                num_cpus=ACTOR_CPUS,
            )
            .write_parquet(str(staging), **PARQUET_OPTIONS)
        )
    finally:
        if started_here:
            ray.shutdown()
    written = sorted(p.name for p in staging.glob("*.parquet"))
    first = pending[0][0]
    names = []
    for i, name in enumerate(written):
        final = f"ray-{first:05d}-{i:04d}.parquet"
        os.replace(staging / name, out / final)
        names.append(final)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(inputs, ignore_errors=True)
    # Ray's output files do not follow shard boundaries, so the shards of one Ray run share its files.
    for index, table in pending:
        manifest.setdefault("done", {})[str(index)] = {"rows": table.num_rows, "files": names}
    write_manifest(out, manifest)
