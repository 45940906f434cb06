"""Live parts of the Classroom page, redrawn by st.fragment on a timer: the teacher's board, the student's card.

Each timed run reads a few rows from SQLite and draws a handful of elements, so many open phones stay cheap.
"""

from __future__ import annotations

import streamlit as st

from attnviz.classroom.questions import Question, is_right, open_answer, parse_number, read_open_answer, shown_answer
from attnviz.classroom.store import MAX_ANSWER_CHARS, ClassroomError, Store, new_student_id
from attnviz.classroom.tally import tally, tally_figure
from attnviz.ui.cache import get_analyses
from attnviz.ui.run import model_labels, safely
from attnviz.ui.sidebar import ModelChoice
from attnviz.ui.text import md_escape

TEACHER_POLL_S = 1.0
STUDENT_POLL_S = 2.0
STUDENT = "cr_student"  # this browser's student id; also in the URL (``me``) so a reload keeps it


@st.fragment(run_every=TEACHER_POLL_S)
def teacher_board(store: Store, code: str, key: str, choice: ModelChoice) -> None:
    room = store.room(code)
    if room is None:
        return
    students = store.student_count(code)
    stored = store.question(room.current)
    if stored is None:
        st.subheader("Live answers")
        st.metric("Students in the room", students)
        st.info("Ask a question: it appears on every student's device.")
        return
    question = Question.from_payload(stored.payload)
    answers = store.answers(stored.id)
    st.subheader("Live answers")
    st.text(question.prompt)
    a, b = st.columns(2)
    a.metric("Students in the room", students)
    b.metric("Answers", f"{len(answers)} of {students}")
    if question.kind == "open":
        _open_board(store, code, key, stored.id, answers, choice)
    else:
        figure = tally_figure(tally(question, [x.value for x in answers]), stored.revealed)
        st.plotly_chart(figure, key="cr_histogram", config={"displayModeBar": False})
    if stored.revealed:
        _explain(question)
    else:
        st.button("Reveal the answer", key="cr_reveal", type="primary", on_click=store.reveal,
                  args=(code, key, stored.id))


def _explain(question: Question) -> None:
    if question.kind == "open":
        return
    st.success(f"Answer: {md_escape(shown_answer(question))}")
    if question.latex:
        st.latex(question.latex)
    st.text(question.explanation)


def _open_board(store: Store, code: str, key: str, qid: int, answers, choice: ModelChoice) -> None:
    """Each sentence as plain text with the model's prediction; the teacher can hide any from the projector."""
    shown = [a for a in answers if not a.hidden]
    sentences = [read_open_answer(a.value) for a in shown]
    texts = tuple(dict.fromkeys(t for t, _ in sentences if t.strip()))
    analyses = (safely(lambda: get_analyses(texts, choice.name, model_labels(choice))) if texts else ()) or ()
    predicted = {x.text: x.prediction for x in analyses}
    fooled = 0
    for answer, (text, label) in zip(shown, sentences):
        prediction = predicted.get(text)
        top = prediction.top_label if prediction else "?"
        fooled += top != label
        row = st.container(border=True)
        left, right = row.columns([5, 1])
        left.text(f"{answer.nickname}: {text}")
        left.caption(f"Model: {md_escape(top)} · {md_escape(answer.nickname)} says: {md_escape(label)}"
                     + (" · the model got it wrong" if top != label else ""))
        right.button("Hide", key=f"cr_hide_{qid}_{answer.student}", on_click=store.set_hidden,
                     args=(code, key, qid, answer.student, True))
    hidden = len(answers) - len(shown)
    st.caption(f"{fooled} of {len(shown)} shown sentences fool the model" + (f"; {hidden} hidden." if hidden else "."))


def student_view(store: Store, code: str) -> None:
    room = store.room(code)
    if room is None:
        st.error(f"There is no open room {code!r} (it may have expired). Check the code with your teacher.")
        return
    student = _me(store, code)
    if student is None:
        _join_form(store, code)
        return
    st.caption(f"Room {code} · you are {md_escape(store.nickname(code, student) or '')}")
    student_card(store, code, student)


def _me(store: Store, code: str) -> str | None:
    for candidate in (st.session_state.get(STUDENT), st.query_params.get("me")):
        if candidate and store.nickname(code, str(candidate)) is not None:
            st.session_state[STUDENT] = str(candidate)
            return str(candidate)
    return None


def _join_form(store: Store, code: str) -> None:
    st.title(f"Join room {code}")
    with st.form("cr_join", border=True):
        st.text_input("Nickname (optional)", key="cr_nickname", max_chars=40)
        if st.form_submit_button("Join", key="cr_join_submit", type="primary"):
            student = new_student_id()
            try:
                store.join(code, student, str(st.session_state.get("cr_nickname") or ""))
            except ClassroomError as exc:
                st.error(str(exc))
                return
            st.session_state[STUDENT] = student
            st.query_params["me"] = student
            st.rerun()


@st.fragment(run_every=STUDENT_POLL_S)
def student_card(store: Store, code: str, student: str) -> None:
    room = store.room(code)
    if room is None or room.closed:
        st.info("The room is closed. Thank you for taking part!")
        return
    stored = store.question(room.current)
    if stored is None:
        st.info("Waiting for the teacher's first question…")
        return
    question = Question.from_payload(stored.payload)
    st.subheader("Question")
    st.text(question.prompt)
    mine = store.my_answer(stored.id, student)
    if stored.revealed:
        _student_result(question, mine)
        return
    with st.form(f"cr_answer_{stored.id}", border=True):
        field = f"cr_value_{stored.id}"
        if question.kind == "number":
            st.text_input("Your answer (a number)", key=field, max_chars=40)
        elif question.kind == "choice":
            st.radio("Your answer", range(len(question.choices)), format_func=lambda j: question.choices[j],
                     key=field, index=None)
        else:
            st.text_area("Your sentence", key=field, max_chars=MAX_ANSWER_CHARS - 60, height=90)
            st.radio("The right label", question.choices, key=f"{field}_label", horizontal=True)
        sent = st.form_submit_button("Send answer" if mine is None else "Change my answer", type="primary",
                                     key=f"cr_send_{stored.id}")
    if sent:
        try:
            store.answer(code, student, stored.id, _value(question, field))
            mine = store.my_answer(stored.id, student)
        except ClassroomError as exc:
            st.error(str(exc))
    if mine is not None:
        st.success(f"Recorded: {md_escape(_shown(question, mine))}. You can change it until the reveal.")


def _value(question: Question, field: str) -> str:
    raw = st.session_state.get(field)
    if question.kind == "number":
        parse_number(str(raw or ""))  # a clear message now rather than a wrong mark later
        return str(raw).strip()
    if question.kind == "choice":
        if raw is None:
            raise ClassroomError("Pick one of the tokens first.")
        return str(int(raw))
    return open_answer(str(raw or ""), str(st.session_state.get(f"{field}_label") or ""))


def _shown(question: Question, value: str) -> str:
    if question.kind == "choice" and value.isdigit() and int(value) < len(question.choices):
        return question.choices[int(value)]
    if question.kind == "open":
        return read_open_answer(value)[0]
    return value


def _student_result(question: Question, mine: str | None) -> None:
    right = is_right(question, mine) if mine is not None else None
    if mine is None:
        st.info("You did not answer this one.")
    elif right is None:
        st.info(f"You sent: {md_escape(_shown(question, mine))}")
    elif right:
        st.success(f"Right! You answered {md_escape(_shown(question, mine))}.")
    else:
        st.error(f"Not quite: you answered {md_escape(_shown(question, mine))}.")
    _explain(question)
