"""Corpus mode: a whole dataset through the model, per-head statistics and predictions per row, queried live.

>>> from attnviz import corpus
>>> corpus.run("dev.tsv", "runs/dev", text_column="sentence", label_column="label")
>>> c = corpus.open_run("runs/dev")
>>> c.metrics(), c.head_means("entropy"), c.top_k("previous_token", layer=2, head=3)

Each row of ``out/*.parquet`` holds the text, its prediction (label and every probability), truncation, and
per-head statistics float32[layers × heads]; never the T×T attention tensors. ``engine="ray"`` runs the same
per-batch callable on Ray Data (optional dependency: requirements-ray.txt). ``faithfulness=True`` adds each row's
faithfulness scoreboard, one column per method and metric (``attnviz.corpus.faithful``), summarised by
``open_run(out).faithfulness()``.
"""

from attnviz.corpus.query import Corpus, Slice, open_run
from attnviz.corpus.run import RunResult, run
from attnviz.corpus.stats import DESCRIPTIONS, STATISTICS

__all__ = ["Corpus", "DESCRIPTIONS", "RunResult", "STATISTICS", "Slice", "open_run", "run"]
