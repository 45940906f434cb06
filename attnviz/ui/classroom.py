"""Classroom page: make or join a room, the teacher's projector view with its question composer, slides export."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from attnviz.attention_math import STEP_IDS
from attnviz.classroom.questions import (
    TOY_EXAMPLES, Question, inspect_question, open_question, toy_steps, worked_question)
from attnviz.classroom.slides import html_document, pptx_bytes, slide_steps
from attnviz.classroom.store import URL_VARIABLE, ClassroomError, Store, default_path, normalise_code, public_url
from attnviz.classroom.tally import qr_png
from attnviz.presets import EXAMPLE_TITLES
from attnviz.teaching import cell_shape
from attnviz.ui import classroom_live as live
from attnviz.ui.cache import get_analysis, get_model
from attnviz.ui.run import model_labels, safely
from attnviz.ui.sidebar import ModelChoice
from attnviz.ui.text import md_escape

TEACHER = "cr_teacher"  # {"code", "key"}: set only by making a room or by a key the store accepts
STEP_NAMES = {"scores": "QKᵀ (scores)", "scaled": "÷ √d_k (scaled)", "masked": "mask", "softmax": "softmax (weights)",
              "output": "· V (output)"}


@st.cache_resource
def get_store(path: str) -> Store:
    return Store(path)


def page(choice: ModelChoice) -> None:
    """Route: the teacher's room, a student's room (``?room=CODE``), or the page to make or join one."""
    store = get_store(str(default_path()))
    code = normalise_code(st.query_params.get("room", ""))
    teacher = st.session_state.get(TEACHER)
    if teacher and code in ("", teacher["code"]):
        teacher_view(store, teacher["code"], teacher["key"], choice)
    elif code:
        live.student_view(store, code)
        resume_form(store, code)
    else:
        landing(store)


def landing(store: Store) -> None:
    st.title("Classroom")
    st.markdown("The teacher makes a room and puts its code on the projector; students join from their own "
                "devices, answer questions built from the lesson's numbers and see the class's answers live.")
    teach, join = st.columns(2)
    with teach.container(border=True):
        st.subheader("Teach")
        st.button("Make a room", key="cr_create", type="primary", on_click=_create, args=(store,))
        if st.session_state.get("cr_create_error"):
            st.error(st.session_state["cr_create_error"])
    with join.container(border=True), st.form("cr_join_code", border=False):
        st.subheader("Join")
        st.text_input("Room code", key="cr_code_typed", max_chars=16, placeholder="e.g. K7PQX")
        if st.form_submit_button("Join the room", key="cr_join_code_submit"):
            typed = normalise_code(st.session_state.get("cr_code_typed", ""))
            if store.room(typed) is None:
                st.error(f"There is no open room {typed!r}. Check the code on the projector.")
            else:
                st.query_params["room"] = typed
                st.rerun()


def _create(store: Store) -> None:
    try:
        code, key = store.create_room()
    except ClassroomError as exc:
        st.session_state["cr_create_error"] = str(exc)
        return
    st.session_state.pop("cr_create_error", None)
    st.session_state[TEACHER] = {"code": code, "key": key}
    st.query_params.from_dict({"room": code})


def resume_form(store: Store, code: str) -> None:
    """The teacher's way back after a restart: the key shown when the room was made (checked in constant time)."""
    with st.expander("Teacher of this room? Resume with your key"), st.form("cr_resume", border=False):
        st.text_input("Teacher key", key="cr_resume_key", type="password", max_chars=64)
        if st.form_submit_button("Resume as teacher", key="cr_resume_submit"):
            key = str(st.session_state.get("cr_resume_key") or "")
            if store.is_teacher(code, key):
                st.session_state[TEACHER] = {"code": code, "key": key}
                st.rerun()
            st.error("That is not this room's teacher key.")


def join_url(code: str) -> str:
    """The link students open: ATTNVIZ_CLASSROOM_URL when set, else this page's own address."""
    base = public_url()
    if not base:
        parts = urlsplit(st.context.url or "http://localhost:8501/Classroom")
        base = f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}"
    return f"{base}/Classroom?{urlencode({'room': code})}"


def teacher_view(store: Store, code: str, key: str, choice: ModelChoice) -> None:
    room = store.room(code)
    if room is None or room.closed:
        st.session_state.pop(TEACHER, None)
        st.info(f"Room {code} is closed or has expired. Make a new one.")
        st.button("Back", key="cr_back", on_click=st.query_params.clear)
        return
    url = join_url(code)
    left, right = st.columns([3, 1])
    left.title(f"Room {code}")
    left.markdown(f"Join at **{md_escape(url)}** or scan the code. Students see each question on their device.")
    left.code(url, language=None)
    if urlsplit(url).hostname in ("localhost", "127.0.0.1"):
        left.caption(f"This link names this computer only; open the app by its network address (or set "
                     f"{URL_VARIABLE}) so students' devices can reach it.")
    right.image(qr_png(url), caption=f"Room {code}", width=190)
    with st.expander("Your teacher key (keep it to resume after a restart; never show it)"):
        st.code(key, language=None)
    live.teacher_board(store, code, key, choice)
    with st.expander("Ask the next question", expanded=room.current is None):
        composer(store, code, key, choice)
    st.divider()
    st.button("Close the room", key="cr_close", on_click=_close, args=(store, code, key))


def _close(store: Store, code: str, key: str) -> None:
    store.close_room(code, key)
    st.session_state.pop(TEACHER, None)
    st.query_params.clear()


def composer(store: Store, code: str, key: str, choice: ModelChoice) -> None:
    """Build a question from the lesson's numbers and ask it (it replaces the current one)."""
    kind = st.radio("Question", ("Worked example", "Inspect", "Open"), key="cr_kind", horizontal=True)
    try:
        question = _worked() if kind == "Worked example" else _inspect(choice) if kind == "Inspect" else \
            open_question(_labels(choice), choice.name)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    st.caption("Students will see:")
    st.text(question.prompt)
    st.button("Ask the class", key="cr_ask", type="primary", on_click=_ask, args=(store, code, key, question))


def _ask(store: Store, code: str, key: str, question: Question) -> None:
    store.ask(code, key, question.payload())


def _worked() -> Question:
    # Start from the preset and step the teacher was showing on the Worked example page.
    if st.session_state.get("cr_example") not in TOY_EXAMPLES:
        seen = st.session_state.get("we_example")
        st.session_state["cr_example"] = seen if seen in TOY_EXAMPLES else "clean"
    if st.session_state.get("cr_step") not in STEP_NAMES:
        seen = st.session_state.get("we_step")
        st.session_state["cr_step"] = seen if seen in STEP_NAMES else "softmax"
    a, b = st.columns(2)
    example_id = a.selectbox("Example", TOY_EXAMPLES, format_func=EXAMPLE_TITLES.get, key="cr_example")
    step_id = b.selectbox("Step", [s for s in STEP_IDS if s in STEP_NAMES], format_func=STEP_NAMES.get,
                          key="cr_step")
    steps, tokens = toy_steps(example_id, step_id == "masked")
    rows, cols = cell_shape(steps, step_id)
    for cell_key, count in (("cr_row", rows), ("cr_col", cols)):
        if not isinstance(st.session_state.get(cell_key), int) or not 0 <= st.session_state[cell_key] < count:
            st.session_state[cell_key] = min(1, count - 1)
    c, d = st.columns(2)
    row = c.selectbox("Row (query token)", range(rows), format_func=lambda r: f"{r}: {tokens[r]}", key="cr_row")
    col = d.selectbox("Column", range(cols), key="cr_col",
                      format_func=(lambda j: f"d{j}") if step_id == "output" else (lambda j: f"{j}: {tokens[j]}"))
    slides(example_id, step_id == "masked", (int(row), int(col)))
    return worked_question(example_id, step_id, int(row), int(col))


def _inspect(choice: ModelChoice) -> Question:
    text = st.text_input("Sentence", key="cr_text", value="The animal didn't cross the street because it was tired.",
                         max_chars=300)
    analysis = safely(lambda: get_analysis(text, choice.name, model_labels(choice)))
    if analysis is None:
        raise ClassroomError("No analysis of this sentence: see the message above.")
    a, b, c = st.columns(3)
    layer = a.number_input("Layer", 0, analysis.n_layers - 1, key="cr_layer")
    head = b.number_input("Head", 0, analysis.n_heads - 1, key="cr_head")
    names = [f"{j}: {t.text}" for j, t in enumerate(analysis.tokens)]
    if not 0 <= int(st.session_state.get("cr_query", 0)) < len(names):
        st.session_state["cr_query"] = 0
    query = c.selectbox("Token", range(len(names)), format_func=lambda j: names[j], key="cr_query")
    return inspect_question(analysis, int(layer), int(head), int(query))


def _labels(choice: ModelChoice) -> tuple[str, ...]:
    """The labels a student can say are right: the classifier's own, or the sidebar's zero-shot labels."""
    model = get_model(choice.name)
    return tuple(model.labels) if model.kind != "encoder" else tuple(name for name, _ in choice.labels)


def slides(example_id: str, causal: bool, cell: tuple[int, int]) -> None:
    """Download this example, every step with its numbers and the chosen cell written out, as PPTX or HTML."""
    pptx, page = _slide_files(example_id, causal, cell)
    a, b = st.columns(2)
    a.download_button("This example as PPTX slides", data=pptx, file_name=f"attention-{example_id}.pptx",
                      mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                      key="cr_pptx", on_click="ignore")
    b.download_button("… as one offline HTML file", data=page,
                      file_name=f"attention-{example_id}.html", mime="text/html", key="cr_html", on_click="ignore")


@st.cache_data(max_entries=32, show_spinner=False)
def _slide_files(example_id: str, causal: bool, cell: tuple[int, int]) -> tuple[bytes, str]:
    steps, tokens = toy_steps(example_id, causal)
    title = f"attnviz worked example: {EXAMPLE_TITLES.get(example_id, example_id)}"
    deck = slide_steps(steps, cell)
    return pptx_bytes(title, deck, tokens), html_document(title, deck, tokens)
