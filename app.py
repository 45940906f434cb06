"""attnviz home: what the app is, where to go, which model and device are active.

Routing is Streamlit's classic pages/ auto-discovery, with Streamlit's own sidebar navigation turned off
(``client.showSidebarNavigation`` in .streamlit/config.toml) because it labels this page "app". Every page's sidebar
draws the links of ``attnviz.ui.nav`` instead, "Home" first, in the order of the links below. ``st.navigation``
would name this page too, but beside a pages/ folder Streamlit kept the classic routing for a fresh deep link such
as /Inspect until some session opened the home page (tried 3 Dec 2026).
"""

import streamlit as st

from attnviz.ui.home import model_status
from attnviz.ui.nav import PAGES
from attnviz.ui.sidebar import model_sidebar

st.set_page_config(page_title="attnviz", page_icon="🔍", layout="wide")
choice = model_sidebar()
st.title("attnviz — look inside a transformer's attention")
st.markdown(
    "Paste any text and see what each attention head of a transformer does with it, head by head, next to the "
    "model's classification of the text. Everything runs on this machine: no text leaves it.\n\n"
    + "\n".join(f"- **{page.title}**: {page.summary}" for page in PAGES)
    + "\n\nIn every heatmap the **rows are query tokens** (the token that is attending, on the y axis) and the "
    "**columns are key tokens** (the tokens it attends to, on the x axis); each row sums to 1."
)
for page in PAGES:
    st.page_link(page.path, label=f"Open {page.title}", icon=page.icon)
model_status(choice.name)
