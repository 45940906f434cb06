"""Sidebar shared by every page: the pages, which model, and zero-shot labels when the model has no classifier."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from attnviz.classification import DEFAULT_LABELS, format_label_spec, parse_label_spec
from attnviz.loading import BUILTIN_CHOICES, BUILTIN_NAME, BUILTIN_ZERO_SHOT_NAME, SMOLLM2_NAME
from attnviz.ui.nav import nav_links
from attnviz.ui.state import PRESENTATION, PRESENTATION_MEMORY, presentation

OTHER = "Other: Hugging Face id or local folder…"
# Static CSS, no user text: larger type for a projector on every page; wide tables scroll instead of being cut.
# Display formulas stay at 1.25em: at 1.5em the softmax formula is wider than a 1024 px screen's main column.
PRESENTATION_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p, [data-testid="stMain"] li { font-size: 1.35rem; }
[data-testid="stMain"] [data-testid="stTable"] td, [data-testid="stMain"] [data-testid="stTable"] th {
  font-size: 1.4rem !important; padding: 0.3rem 0.6rem !important; }
[data-testid="stMain"] [data-testid="stTable"] { overflow-x: auto; }
[data-testid="stMain"] .katex { font-size: 1.5em !important; }
[data-testid="stMain"] .katex-display > .katex { font-size: 1.25em !important; }
[data-testid="stMain"] .katex-display { overflow-x: auto; overflow-y: hidden; }
[data-testid="stMain"] [data-testid="stSelectbox"] input, [data-testid="stMain"] [data-baseweb="select"] *,
[data-testid="stMain"] label p, [data-testid="stMain"] [role="radiogroup"] p { font-size: 1.3rem !important; }
[data-testid="stMain"] textarea, [data-testid="stMain"] [data-testid="stNumberInput"] input { font-size: 1.2rem !important; }
[data-testid="stMain"] h1 { font-size: 3rem; } [data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.1rem; }
</style>"""

# On a phone plotly's toolbar, shown on a tap, covers the chart's title; pinch zoom and the chart's own
# full-screen button remain, so the toolbar is left out below Streamlit's phone breakpoint.
PHONE_CSS = """<style>
@media (max-width: 640px) { [data-testid="stMain"] .js-plotly-plot .modebar-container { display: none; } }
</style>"""


@dataclass(frozen=True)
class ModelChoice:
    name: str
    labels: tuple[tuple[str, tuple[str, ...]], ...]


def _init_from_url() -> None:
    wanted = st.query_params.get("model")
    if "model_choice" in st.session_state or not wanted:
        return
    if wanted in BUILTIN_CHOICES:
        st.session_state["model_choice"] = wanted
    else:
        st.session_state["model_choice"] = OTHER
        st.session_state["model_custom"] = wanted[:512]


def model_sidebar() -> ModelChoice:
    """The pages' links, model picker and label editor; the choice is kept in ``st.session_state["model"]``."""
    _init_from_url()
    # Widget state is dropped when a page does not draw the widget; this copy survives page switches.
    if "model_choice" not in st.session_state and st.session_state.get("model_memory"):
        st.session_state["model_choice"], st.session_state["model_custom"] = st.session_state["model_memory"]
    with st.sidebar:
        nav_links()
        st.header("Model")
        choice = st.selectbox("Model", list(BUILTIN_CHOICES) + [OTHER], key="model_choice")
        custom = ""
        if choice == OTHER:
            custom = st.text_input(
                "Hugging Face model id or local folder",
                key="model_custom",
                placeholder="e.g. distilbert-base-uncased-finetuned-sst-2-english or ./my-model",
                help="Without internet access only local folders (config.json, tokenizer, model.safetensors) work.",
            ).strip()
        st.session_state["model_memory"] = (choice, custom)
        # Each page's sidebar toggle is a new widget; the choice lives in a plain key written only on a change.
        if PRESENTATION_MEMORY in st.session_state:
            st.session_state[PRESENTATION] = st.session_state[PRESENTATION_MEMORY]
        st.toggle("Presentation mode", key=PRESENTATION,
                  on_change=lambda: st.session_state.update({PRESENTATION_MEMORY: st.session_state[PRESENTATION]}), help="Larger text, numbers and heatmaps for a projector.")
        name = custom if choice == OTHER and custom else BUILTIN_CHOICES[0] if choice == OTHER else choice
        st.session_state["model"] = name
        spec = st.session_state.get("labels_memory", format_label_spec(DEFAULT_LABELS))
        # The built-in classifier has its own head (negative/positive) and the language model predicts the next
        # token: label descriptions would do nothing there.
        if choice not in (BUILTIN_NAME, SMOLLM2_NAME):
            if "labels_spec" not in st.session_state:
                st.session_state["labels_spec"] = spec
            with st.expander("Zero-shot labels", expanded=choice == BUILTIN_ZERO_SHOT_NAME):
                st.caption(
                    "Used by models without a classifier head: the text is compared with each label's "
                    "descriptions (one label a line: `label: description; description`)."
                )
                spec = st.text_area("Labels and descriptions", key="labels_spec", height=160)
            st.session_state["labels_memory"] = spec
    st.html(PHONE_CSS)
    if presentation():
        st.html(PRESENTATION_CSS)
    labels = parse_label_spec(spec)
    if choice != BUILTIN_NAME and len(labels) < 2:
        # One label always wins with probability 1: a bar at 1.000 that says nothing.
        st.sidebar.warning(
            f"Zero-shot needs two or more labels (you gave {len(labels)}), one a line as `label: description`. "
            "Until then the default labels (negative, positive) are used."
        )
        labels = DEFAULT_LABELS
    return ModelChoice(name, tuple((k, tuple(v)) for k, v in labels.items()))
