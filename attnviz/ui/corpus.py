"""Widgets of the Corpus page: pick or start a run, then metrics, head heatmaps, slices and top-k texts.

Every view is a DuckDB query over the run's Parquet (``attnviz.corpus.query``); nothing is recomputed.
Runs live under ``ATTNVIZ_CORPUS_RUNS`` (default ./runs); new runs read files from ``ATTNVIZ_CORPUS_DATA`` only,
since a shared instance must not let a visitor name any file on the host.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pandas as pd
import streamlit as st

from attnviz import settings
from attnviz.corpus import DESCRIPTIONS, STATISTICS, Corpus, Slice, faithful, run
from attnviz.corpus.figures import confusion_figure, head_means_figure
from attnviz.corpus.query import LENGTH_BUCKETS, per_label_scores
from attnviz.corpus.reader import FORMATS
from attnviz.ui.cache import get_model
from attnviz.ui.run import safely
from attnviz.ui.text import md_escape
from attnviz.urlstate import ViewState, view_params

ANY = "(any)"
TABLE_COLUMNS = {
    "open": st.column_config.LinkColumn("open", display_text="Inspect ↗", width="small"),
    "text": st.column_config.TextColumn(width="large"),
    "confidence": st.column_config.NumberColumn(format="%.3f"),
    "value": st.column_config.NumberColumn(format="%.3f"),
    "max_weight": st.column_config.NumberColumn(format="%.3f"),
}

FAITHFULNESS_COLUMNS = {
    "method": st.column_config.TextColumn(width="medium"),
    "comprehensiveness": st.column_config.NumberColumn("comprehensiveness ↑", format="%.3f"),
    "comprehensiveness_vs_random": st.column_config.NumberColumn("vs random", format="%+.3f"),
    "sufficiency": st.column_config.NumberColumn("sufficiency ↓", format="%.3f"),
    "sufficiency_vs_random": st.column_config.NumberColumn("vs random ", format="%+.3f"),
    "beats_random_comprehensiveness": st.column_config.TextColumn("beats random: compr."),
    "beats_random_sufficiency": st.column_config.TextColumn("beats random: suff."),
}


def runs_root() -> Path:
    return Path(settings.current().corpus_runs)


def data_root() -> Path | None:
    value = settings.current().corpus_data
    return Path(value) if value else None


def list_runs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/manifest.json")) if root.is_dir() else []


@st.cache_resource(max_entries=8, show_spinner=False)
def open_corpus(path: str, stamp: float) -> Corpus:
    """One DuckDB connection per run; ``stamp`` (the manifest's mtime) reopens it when the run grows."""
    return Corpus(path)


def inspect_link(text: str) -> str:
    """Relative URL of Inspect on ``text`` (without the text when it is too long for a link)."""
    return "/Inspect?" + urllib.parse.urlencode(view_params(ViewState(text=text), include_head=False))


def run_picker(root: Path) -> Corpus | None:
    runs = list_runs(root)
    if not runs:
        st.info(f"No corpus runs in {md_escape(str(root))} yet. Start one with ‘Start a run on a file’ above, or run python -m attnviz.corpus with --out under it.")
        return None
    names = [p.name for p in runs]
    if st.session_state.get("corpus_run") not in names:
        st.session_state["corpus_run"] = names[0]
    name = st.selectbox("Run", names, key="corpus_run")
    path = root / name
    return safely(lambda: open_corpus(str(path), (path / "manifest.json").stat().st_mtime), "opening the run")


def start_run_form(root: Path, model_name: str) -> None:
    """Start a run on a file in the allowed data folder, with a progress bar (the page waits for it)."""
    data = data_root()
    if data is None or not data.is_dir():
        st.caption("To start runs here, the host sets ATTNVIZ_CORPUS_DATA to a folder of .csv/.tsv/.parquet files.")
        return
    files = sorted(p.name for p in data.iterdir() if p.suffix.lower() in FORMATS and p.is_file())
    if not files:
        st.caption(f"No .csv, .tsv or .parquet files in {md_escape(str(data))}.")
        return
    with st.form("corpus_new"):
        file = st.selectbox("File", files, key="corpus_file")
        left, middle, right = st.columns(3)
        text_column = left.text_input("Text column", value="sentence", key="corpus_text_column")
        label_column = middle.text_input("Label column (optional)", value="label", key="corpus_label_column")
        limit = right.number_input("Rows (at most)", 1, 1_000_000, 1000, key="corpus_limit")
        faithfulness = st.checkbox(
            "Also score every explanation method's faithfulness (slow: about 2 s a text)", key="corpus_faithfulness",
            help="Each text's scoreboard, as on Explain: comprehensiveness and sufficiency of raw attention, rollout, "
            "value norms, gradient-weighted rollout, integrated gradients and gradient × input, against a random ranking.",
        )
        go = st.form_submit_button("Run the model on this file")
    if not go:
        return
    # A faithfulness run is another run (its manifest says so): it gets its own folder.
    out = root / f"{Path(file).stem}-{int(limit)}{'-faithfulness' if faithfulness else ''}"
    bar = st.progress(0.0, text="Loading the model…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"{done:,} of {total:,} rows")

    result = safely(
        lambda: run(
            data / file, out, text_column=text_column.strip(), label_column=label_column.strip() or None,
            model=get_model(model_name), limit=int(limit), progress=progress, faithfulness=faithfulness,
        ),
        "running the corpus",
    )
    if result is not None:
        st.session_state["corpus_run"] = out.name
        st.success(f"{result.rows:,} rows in {result.seconds:.1f} s; {result.bad_rows} could not be analysed.")


def metrics_section(corpus: Corpus, where: Slice) -> None:
    m = safely(lambda: corpus.metrics(where), "scoring the run")
    if m is None:
        st.caption("No gold labels in this slice (the run has no label column, or no row matches).")
        return
    cols = st.columns(4)
    for col, (name, value) in zip(cols, (("accuracy", m.accuracy), ("precision", m.precision), ("recall", m.recall), ("F1", m.f1))):
        col.metric(name, f"{value:.3f}")
    which = f"of {m.positive_label}" if m.positive_label else "macro-averaged"
    st.caption(f"{m.n:,} labelled rows; precision, recall and F1 above are {which}.")
    left, right = st.columns([2, 3])
    left.dataframe(pd.DataFrame(per_label_scores(m)).round(3), hide_index=True, key="corpus_per_label")
    right.plotly_chart(confusion_figure(m), key="corpus_confusion")


def slice_controls(corpus: Corpus) -> Slice:
    """Filters shared by every view below them; the defaults select every analysed row."""
    cols = st.columns(4)
    label = cols[0].selectbox("Gold label", [ANY] + corpus.label_values("label"), key="corpus_label")
    predicted = cols[1].selectbox("Predicted label", [ANY] + corpus.label_values("predicted"), key="corpus_predicted")
    buckets = {name: (lo, hi) for name, lo, hi in LENGTH_BUCKETS}
    bucket = cols[2].selectbox("Length (tokens)", [ANY] + list(buckets), key="corpus_length")
    search = cols[3].text_input("Text contains", key="corpus_search", placeholder="e.g. not")
    lo, hi = buckets.get(bucket, (None, None))
    return Slice(
        label=None if label == ANY else label, predicted=None if predicted == ANY else predicted,
        min_tokens=lo, max_tokens=hi, search=search.strip() or None,
    )


def heads_section(corpus: Corpus, where: Slice, n_rows: int) -> str:
    statistic = st.selectbox("Statistic", list(STATISTICS), format_func=lambda s: f"{s}: {DESCRIPTIONS[s]}", key="corpus_statistic")
    means = safely(lambda: corpus.head_means(statistic, where), "averaging the heads")
    if means is not None:
        st.plotly_chart(head_means_figure(means, statistic, DESCRIPTIONS[statistic], n_rows), key="corpus_heads")
    return statistic


def with_links(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with an "open" column first: a link that opens the row's text on Inspect."""
    frame = frame.copy()
    frame.insert(0, "open", [inspect_link(t) for t in frame["text"]])
    return frame


def top_k_section(corpus: Corpus, where: Slice, statistic: str) -> None:
    cols = st.columns(4)
    layer = int(cols[0].selectbox("Layer", range(corpus.n_layers), key="corpus_layer"))
    head = int(cols[1].selectbox("Head", range(corpus.n_heads), key="corpus_head"))
    k = int(cols[2].number_input("How many", 1, 200, 10, key="corpus_k"))
    lowest = cols[3].radio("Order", ["highest", "lowest"], horizontal=True, key="corpus_order") == "lowest"
    top = safely(lambda: corpus.top_k(statistic, layer, head, k, where, lowest), "querying the run")
    if top is None:
        return
    st.caption(
        f"Texts where layer {layer}, head {head} has the {'lowest' if lowest else 'highest'} {statistic}; "
        "max query → key is where its largest single weight sits."
    )
    order = ("open", "value", "text", "max_query_token", "max_key_token", "max_weight", "label", "predicted", "n_tokens", "row_id")
    st.dataframe(with_links(top), hide_index=True, key="corpus_top_k", column_config=TABLE_COLUMNS, column_order=order)


def misclassified_section(corpus: Corpus, where: Slice) -> None:
    if not corpus.has_labels:
        st.caption("This run has no gold labels, so nothing is misclassified.")
        return
    wrong = safely(lambda: corpus.misclassified(where, 50), "querying the run")
    if wrong is not None:
        st.caption("Most confidently wrong first (at most 50).")
        order = ("open", "text", "label", "predicted", "confidence", "n_tokens", "row_id")
        st.dataframe(with_links(wrong), hide_index=True, key="corpus_wrong", column_config=TABLE_COLUMNS, column_order=order)


def faithfulness_section(corpus: Corpus, where: Slice) -> None:
    """The slice's faithfulness summary per method, for runs made with faithfulness."""
    if not corpus.has_faithfulness:
        st.caption(
            "This run has no faithfulness scores. Start one with ‘Also score every explanation method's faithfulness’ "
            "above, or python -m attnviz.corpus --faithfulness."
        )
        return
    table = safely(lambda: corpus.faithfulness(where), "summarising faithfulness")
    if table is None or not int(table["rows"].iloc[0]):
        st.caption("No row of this slice has faithfulness scores.")
        return
    best = faithful.most_faithful(table)
    scored, total = int(table["rows"].iloc[0]), corpus.count(where)
    # A row whose scoreboard failed has no scores (its faithfulness_error says why): say how many were left out.
    left_out = f" ({total - scored:,} of the slice's {total:,} have no scores: see faithfulness_error)" if total > scored else ""
    st.caption(
        f"Means over {scored:,} texts{left_out}, each explaining its predicted class. Comprehensiveness: how "
        "much the probability falls when a method's top tokens are deleted (higher = more faithful); sufficiency: how "
        "much it falls when only they are kept (lower = more faithful). "
        f"Most comprehensive here: **{md_escape(best['comprehensiveness'])}**; most sufficient: "
        f"**{md_escape(best['sufficiency'])}**."
    )
    shown = table.drop(columns="rows").round(3)
    for name in ("beats_random_comprehensiveness", "beats_random_sufficiency"):  # blank for the baseline itself
        shown[name] = [f"{v:.0%}" if v == v else "" for v in table[name]]
    st.dataframe(shown, hide_index=True, key="corpus_faithfulness_table", column_config=FAITHFULNESS_COLUMNS)


def bad_rows_section(corpus: Corpus) -> None:
    bad = corpus.bad_rows(50)
    if not bad.empty:
        with st.expander(f"{corpus.counts()['bad']:,} rows could not be analysed"):
            st.dataframe(bad, hide_index=True, key="corpus_bad")


__all__ = ["bad_rows_section", "faithfulness_section", "heads_section", "metrics_section", "misclassified_section",
           "run_picker", "runs_root", "slice_controls", "start_run_form", "top_k_section"]
