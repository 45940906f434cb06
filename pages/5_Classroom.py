"""Classroom: the teacher asks from the lesson's numbers, every student answers on their own device, all see the histogram."""

import streamlit as st

from attnviz.ui import classroom
from attnviz.ui.sidebar import model_sidebar

st.set_page_config(page_title="Classroom · attnviz", page_icon="🎓", layout="wide")
choice = model_sidebar()
classroom.page(choice)
