"""attnviz: the app's pages in the sidebar's order (home first, named "Home"), and the home page itself.

``st.navigation`` instead of pages/ auto-discovery, which would name the home page after this file ("app");
each page keeps its file in pages/ and its address (/Inspect, /Worked_example, ...).
"""

import streamlit as st

from attnviz.ui.home import model_status
from attnviz.ui.sidebar import model_sidebar

# (file, title, icon, address): the sidebar and the home page's links list them in this one order.
PAGES = (
    ("pages/1_Inspect.py", "Inspect", "🔍", "Inspect"),
    ("pages/2_Worked_example.py", "Worked example", "🧮", "Worked_example"),
    ("pages/3_Explain.py", "Explain", "🧭", "Explain"),
    ("pages/4_Corpus.py", "Corpus", "📚", "Corpus"),
    ("pages/5_Classroom.py", "Classroom", "🎓", "Classroom"),
)


def home() -> None:
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
    for path, title, icon, _ in PAGES:
        st.page_link(path, label=f"Open {title}", icon=icon)
    model_status(choice.name)


st.navigation(
    [st.Page(home, title="Home", icon="🏠", default=True)]
    + [st.Page(path, title=title, icon=icon, url_path=url) for path, title, icon, url in PAGES]
).run()
