"""attnviz home: what the app is, where to go, which model and device are active.

Routing is Streamlit's classic pages/ auto-discovery, so the sidebar names this page "app". ``st.navigation`` would
name it "Home", but with a pages/ folder Streamlit keeps the classic routing until some session opens the home page:
a shared link straight to /Inspect on a fresh server then showed the other sidebar (tried 3 Dec 2026).
"""

import streamlit as st

from attnviz.ui.home import model_status
from attnviz.ui.sidebar import model_sidebar

# (file, title, icon) in the sidebar's order (the files' number prefixes), so the links below follow it.
PAGES = (
    ("pages/1_Inspect.py", "Inspect", "🔍"),
    ("pages/2_Worked_example.py", "Worked example", "🧮"),
    ("pages/3_Explain.py", "Explain", "🧭"),
    ("pages/4_Corpus.py", "Corpus", "📚"),
    ("pages/5_Classroom.py", "Classroom", "🎓"),
)


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
- **Corpus**: a whole dataset through the model, queried live.
- **Classroom**: the teacher asks, every student answers on their own device.

In every heatmap the **rows are query tokens** (the token that is attending, on the y axis) and the
**columns are key tokens** (the tokens it attends to, on the x axis); each row sums to 1.
"""
)
for path, title, icon in PAGES:
    st.page_link(path, label=f"Open {title}", icon=icon)
model_status(choice.name)
