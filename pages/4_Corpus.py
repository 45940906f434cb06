"""Corpus: a whole dataset through the model — metrics, per-head statistics, slices, top-k texts, errors."""

import streamlit as st

from attnviz.ui import corpus as ui
from attnviz.ui.sidebar import model_sidebar
from attnviz.ui.text import md_escape

st.set_page_config(page_title="Corpus · attnviz", page_icon="📚", layout="wide")
choice = model_sidebar()

st.title("Corpus: what the heads do across a dataset")
st.caption(
    "Every row of a file through the model once (python -m attnviz.corpus, or the form below); every view here is a live "
    "query over the stored per-row predictions and per-head statistics, never a recomputation."
)
root = ui.runs_root()
with st.expander("Start a run on a file"):
    ui.start_run_form(root, choice.name)
corpus = ui.run_picker(root)
if corpus is None:
    st.stop()
counts = corpus.counts()
st.caption(
    f"{counts['rows']:,} rows, {counts['analysed']:,} analysed · model {md_escape(corpus.manifest['model'])} · "
    f"{corpus.n_layers} layers × {corpus.n_heads} heads · from {md_escape(corpus.manifest['input'])}"
)
ui.bad_rows_section(corpus)

st.subheader("Slice")
where = ui.slice_controls(corpus)
n_rows = corpus.count(where)
st.caption(f"{n_rows:,} rows in this slice. The views below use only them.")
if n_rows == 0:
    st.info("No analysed row matches this slice.")
    st.stop()

st.subheader("Scores")
ui.metrics_section(corpus, where)

st.subheader("Every head, averaged")
statistic = ui.heads_section(corpus, where, n_rows)

st.subheader("Texts where one head does it most")
ui.top_k_section(corpus, where, statistic)

st.subheader("Misclassified")
ui.misclassified_section(corpus, where)

st.subheader("Which explanation is faithful?")
ui.faithfulness_section(corpus, where)
