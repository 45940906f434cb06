"""attnviz home: what the app is, where to go, which model and device are active."""

import streamlit as st

from attnviz.ui.home import model_status
from attnviz.ui.sidebar import model_sidebar

st.set_page_config(page_title="attnviz", page_icon="🔍", layout="wide")
choice = model_sidebar()

st.title("attnviz — look inside a transformer's attention")
st.markdown(
    """
Paste any text and see what each attention head of a transformer does with it, head by head,
next to the model's classification of the text. Everything runs on this machine: no text leaves it.

- **Inspect**: the prediction, all heads at a glance, one head large, and the averages.
- **Worked example**: scaled dot-product attention step by step (Q, K, V, QKᵀ, ÷√d_k, softmax, ·V),
  with numbers you can check by hand and the same computation redone on the real model.
- **Explain**: does the attention explain the prediction? Rollout, gradients and head importance.

In every heatmap the **rows are query tokens** (the token that is attending, on the y axis) and the
**columns are key tokens** (the tokens it attends to, on the x axis); each row sums to 1.
"""
)
st.page_link("pages/1_Inspect.py", label="Open Inspect", icon="🔍")
st.page_link("pages/3_Explain.py", label="Open Explain", icon="🧭")
st.page_link("pages/2_Worked_example.py", label="Open Worked example", icon="🧮")
st.page_link("pages/5_Classroom.py", label="Open Classroom", icon="🎓")
model_status(choice.name)
