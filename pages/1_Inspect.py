"""Inspect: paste text, see the prediction, every head, one head large, and the averages."""

import streamlit as st

from attnviz import figures
from attnviz.loading import BUILTIN_NAME
from attnviz.ui import decoder as lm
from attnviz.ui import inspect as ui
from attnviz.ui import seq2seq as pair
from attnviz.ui.run import run_analysis
from attnviz.ui.text import md_escape
from attnviz.ui.sidebar import model_sidebar

st.set_page_config(page_title="Inspect · attnviz", page_icon="🔍", layout="wide")
choice = model_sidebar()
ui.init_from_url()

st.title("Inspect attention")
st.text_area(
    "Text to analyse",
    key="text",
    height=110,
    help="Paste any text. Longer texts are cut to the model's limit, and the page says what was dropped.",
)
ui.remember_text()
lm.first_load_notice(choice.name)
if pair.is_seq2seq(choice.name):  # encoder–decoder: a target text and three kinds of attention instead
    pair.inspect_pair(st.session_state["text"], choice)
    st.stop()
analysis = run_analysis(st.session_state["text"], choice)
if analysis is None:
    st.stop()
ui.unknown_token_warning(analysis)

left, right = st.columns([1, 2])
with left:
    st.subheader("Prediction")
    if analysis.prediction is None:
        st.info("This model has no classifier (it is a language model), so there is no prediction to show.")
    elif analysis.prediction.method == "next-token":
        lm.show_next_token(analysis)
    else:
        how = "zero-shot: similarity to the label descriptions in the sidebar" if analysis.prediction.method == "zero-shot" else "the model's classifier head"
        st.caption(f"{md_escape(analysis.model_name)} — {how}")
        st.plotly_chart(figures.prediction_figure(analysis.prediction, ui.font_size()), key="prediction")
with right:
    st.subheader("How the text was split")
    ui.show_tokens(analysis)
if analysis.causal:
    st.caption("This is a causal language model: each token attends only to itself and the tokens before it.")

st.subheader("One head")
layer, head = ui.head_selectors(analysis)
opts = ui.view_toggles(analysis.n_tokens)
ui.view_heatmap(analysis.attentions[layer, head], analysis, f"Layer {layer}, head {head}: each row is a query token", opts, "head_figure")

st.subheader("All heads")
st.caption("Click a head to open it above. One colour scale (0 to 1) for every head; hiding and merging tokens do not apply here.")
st.plotly_chart(
    figures.overview_figure(analysis.attentions, opts.sqrt_scale, ui.font_size()), key="overview", on_select="rerun",
    selection_mode="points",
)

st.subheader("Head types")
if analysis.causal or st.toggle("Show previous-token, duplicate-token, induction and sink scores", key="show_head_types"):
    lm.head_types_section(analysis, choice.name)

st.subheader("Averages")
if ui.average_choice(layer, analysis.n_heads):
    ui.view_heatmap(ui.mean_heads(analysis, None), analysis, "Mean over all layers and heads", opts, "all_mean", False)
else:
    ui.view_heatmap(ui.mean_heads(analysis, layer), analysis, f"Layer {layer}, mean over heads", opts, "layer_mean", False)

st.subheader("Download")
ui.downloads(analysis, layer, head)
ui.open_view_uploader()
ui.sync_url(st.session_state["text"], choice.name, BUILTIN_NAME, layer, head)
