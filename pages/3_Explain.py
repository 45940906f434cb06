"""Explain: does the attention explain the prediction? Rollout, gradients, head statistics, ablation, compare."""

import streamlit as st

from attnviz import figures, figures_decoder
from attnviz.loading import BUILTIN_NAME
from attnviz.ui import decoder as lm
from attnviz.ui import explain as ui
from attnviz.ui.head_table import head_table_section
from attnviz.ui import scoreboard
from attnviz.ui.inspect import font_size, init_from_url, remember_text, sync_url, unknown_token_warning
from attnviz.ui.run import run_analysis
from attnviz.ui.sidebar import model_sidebar

st.set_page_config(page_title="Explain · attnviz", page_icon="🧭", layout="wide")
choice = model_sidebar()
init_from_url("explain")

st.title("Why did it predict that?")
st.caption(
    "Attention shows where the model looks; gradients show what moves its prediction. This page puts them side by "
    "side, measures every head, and lets you switch heads off."
)
st.text_area("Text to analyse", key="text", height=90, help="The same text as on Inspect; edits carry over.")
remember_text()
lm.first_load_notice(choice.name)
analysis = run_analysis(st.session_state["text"], choice)
if analysis is None:
    st.stop()
unknown_token_warning(analysis)
sync_url(st.session_state["text"], choice.name, BUILTIN_NAME)
if analysis.prediction is None:
    st.info("This model has no classes (it is a language model), so there is no prediction to explain.")
    st.stop()

left, right = st.columns([1, 2])
with left:
    st.subheader("Prediction")
    if analysis.prediction.method == "next-token":
        st.plotly_chart(figures_decoder.next_token_figure(analysis.prediction), key="prediction")
    else:
        st.plotly_chart(figures.prediction_figure(analysis.prediction, font_size()), key="prediction")
with right:
    st.subheader("What to explain")
    target = ui.target_selector(analysis)
    method = ui.method_selector()
    st.caption(
        "Raw attention and rollout do not depend on the class; the gradients are taken for the class chosen here."
    )

st.subheader("Attention vs gradients, token by token")
ui.attribution_section(analysis, choice, target, method)

st.subheader("Which explanation is faithful?")
scoreboard.scoreboard_section(analysis, choice, target)

st.subheader("Attention weighted by the values")
scoreboard.value_norm_section(analysis, choice)

st.subheader("Every head")
head_table_section(analysis, choice)

st.subheader("Switch heads off")
st.caption(
    "Each chosen head (a layer and head pair) has its output set to zero in its own layer; every other head and "
    "layer runs unchanged."
)
ui.ablation_section(analysis, choice)

st.subheader("Compare two texts")
st.caption("Two texts, the same head: how does one word change where the model looks?")
ui.compare_section(choice, analysis.n_layers, analysis.n_heads)
