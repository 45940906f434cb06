"""Worked example: scaled dot-product attention step by step, with numbers to check by hand and on a real model."""

import streamlit as st

from attnviz.ui import worked as ui
from attnviz.ui import worked_block as block
from attnviz.ui import worked_checks as checks
from attnviz.ui.sidebar import model_sidebar
from attnviz.ui.worked_model import model_worked, show_match

st.set_page_config(page_title="Worked example · attnviz", page_icon="🧮", layout="wide")
ui.init_state()  # before the sidebar: a URL from Back/Forward can switch presentation mode
choice = model_sidebar()

st.title("Worked example: attention step by step")
st.latex(r"\text{Attention}(Q, K, V) = \text{softmax}\!\left(\frac{QK^{\top}}{\sqrt{d_k}}\right)V")
if (stage := block.stage_picker()) != block.ONE_HEAD:
    block.show_stage(stage, choice)
    st.stop()
example_id = ui.example_picker()

real = None
if example_id == "model":
    real = model_worked(choice)
    worked = real[0] if real else None
else:
    if example_id == "article":
        checks.article_audit()
    worked = ui.toy_worked(example_id)
if worked is None:
    st.stop()

st.divider()
step = ui.step_navigation(worked.steps)
ui.show_step(worked, step)
st.divider()
if real is not None:
    show_match(real[1], real[2], worked.row_offset)
elif example_id != "sqrt_dk":
    checks.check_my_answer(worked.steps, worked.axes)
checks.show_source()
ui.sync_url(example_id, step.id)
