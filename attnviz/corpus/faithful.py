"""Opt-in faithfulness columns of a corpus run: each row's scoreboard, one column per method and metric.

With ``faithfulness=True`` every analysed row also gets ``attnviz.scoreboard``'s numbers for the class it is
predicted to be: ``comprehensiveness_<method>`` and ``sufficiency_<method>`` for each method of
``attnviz.scoreboard.METHODS`` and for ``random`` (the mean of the scoreboard's seeded random rankings), float64,
plus ``faithfulness_error`` for a row whose scoreboard could not be computed. ``summary`` turns those columns into
the per-method table the command prints: means, the mean difference from random, and how often a method beats it.
The scoreboard runs one text at a time (its gradients and deletions are per text), so this is ~100× slower than a
plain run: about 2 s a sentence of SST-2 on one CPU core.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from attnviz.errors import InputError
from attnviz.loading import LoadedModel
from attnviz.scoreboard import METHODS, scoreboard

RANDOM = "random"
NAMES = (*METHODS, RANDOM)
TITLES = {**METHODS, RANDOM: "Random ranking (baseline)"}
METRICS = ("comprehensiveness", "sufficiency")  # higher = more faithful, lower = more faithful
ERROR = "faithfulness_error"
# The scoreboard explains a class: classifiers' own, or an encoder's zero-shot labels (as the run predicts them).
KINDS = ("classifier", "encoder")


def column(metric: str, name: str) -> str:
    """The column holding ``metric`` (comprehensiveness | sufficiency) of method ``name`` (or "random")."""
    return f"{metric}_{name}"


COLUMNS = tuple(column(metric, name) for name in NAMES for metric in METRICS)


def schema_fields() -> list[tuple[str, pa.DataType]]:
    return [(c, pa.float64()) for c in COLUMNS] + [(ERROR, pa.string())]


def check_model(loaded: LoadedModel) -> None:
    """Raise InputError unless the scoreboard can explain ``loaded``'s predictions (it needs classes)."""
    if loaded.kind not in KINDS:
        raise InputError(
            f"Faithfulness needs a model that predicts classes (a classifier, or an encoder with zero-shot labels); "
            f"'{loaded.name}' is a {loaded.kind} model, so there is no class to delete tokens against. "
            "Run without --faithfulness, or choose such a model (the built-in classifier is one)."
        )


def row_values(text: str, loaded: LoadedModel) -> dict[str, float]:
    """Every column of COLUMNS for one text: ``attnviz.scoreboard(text, model=loaded)``, for its predicted class."""
    board = scoreboard(text, model=loaded)
    found = {**board.results, RANDOM: board.random}
    return {column(metric, name): float(getattr(found[name], metric)) for name in NAMES for metric in METRICS}


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per method (and the random baseline): means over ``frame``'s rows (the COLUMNS of a run) of
    comprehensiveness and sufficiency, their mean difference from random, and the share of rows where the method
    beats random (more comprehensive; less sufficient). Rows without faithfulness values are left out."""
    frame = frame.dropna(subset=list(COLUMNS))
    rand = {metric: frame[column(metric, RANDOM)].to_numpy(np.float64) for metric in METRICS}
    rows = []
    for name in NAMES:
        comp = frame[column("comprehensiveness", name)].to_numpy(np.float64)
        suff = frame[column("sufficiency", name)].to_numpy(np.float64)
        rows.append({
            "method": TITLES[name],
            "comprehensiveness": _mean(comp),
            "comprehensiveness_vs_random": _mean(comp - rand["comprehensiveness"]),
            "sufficiency": _mean(suff),
            "sufficiency_vs_random": _mean(suff - rand["sufficiency"]),
            "beats_random_comprehensiveness": _mean(comp > rand["comprehensiveness"]) if name != RANDOM else np.nan,
            "beats_random_sufficiency": _mean(suff < rand["sufficiency"]) if name != RANDOM else np.nan,
            "rows": len(frame),
        })
    return pd.DataFrame(rows)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def most_faithful(table: pd.DataFrame) -> Mapping[str, str]:
    """The method (title) with the highest mean comprehensiveness and the one with the lowest mean sufficiency."""
    methods = table[table["method"] != TITLES[RANDOM]]
    return {
        "comprehensiveness": str(methods.loc[methods["comprehensiveness"].idxmax(), "method"]),
        "sufficiency": str(methods.loc[methods["sufficiency"].idxmin(), "method"]),
    }


def format_table(table: pd.DataFrame) -> str:
    """The summary as plain text for the command line."""
    if not int(table["rows"].iloc[0]):
        return "No row has faithfulness values (see the faithfulness_error column)."
    lines = [
        f"Faithfulness over {int(table['rows'].iloc[0]):,} rows, each explaining its predicted class "
        "(comprehensiveness: higher = more faithful; sufficiency: lower = more faithful):",
        f"  {'method':36s} {'compr.':>7s} {'vs rand':>8s} {'suff.':>7s} {'vs rand':>8s} {'beats random: compr.':>21s} {'suff.':>6s}",
    ]
    for r in table.itertuples():
        beats = "" if np.isnan(r.beats_random_comprehensiveness) else (
            f"{r.beats_random_comprehensiveness:21.0%} {r.beats_random_sufficiency:6.0%}"
        )
        lines.append(
            f"  {r.method:36s} {r.comprehensiveness:7.3f} {r.comprehensiveness_vs_random:+8.3f} "
            f"{r.sufficiency:7.3f} {r.sufficiency_vs_random:+8.3f} {beats}"
        )
    best = most_faithful(table)
    lines.append(f"Most comprehensive: {best['comprehensiveness']}; most sufficient: {best['sufficiency']}.")
    return "\n".join(lines)
