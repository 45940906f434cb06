"""AppTest over the Classroom page: a teacher's room, students joining and answering, and what students cannot do."""

import pytest

from tests.apptest import open_page

from attnviz.classroom.questions import worked_question
from attnviz.classroom.store import Store

PAGE = "pages/5_Classroom.py"

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "classroom.sqlite3"
    monkeypatch.setenv("ATTNVIZ_CLASSROOM_DB", str(path))
    return Store(path)


def _ok(at):
    assert not at.exception, at.exception


def _student(code, nickname="Ada"):
    at = open_page(PAGE, {"room": code})
    _ok(at)
    at.text_input(key="cr_nickname").input(nickname)
    at.button(key="cr_join_submit").click().run()
    _ok(at)
    return at


def _asked(store, question=None):
    code, key = store.create_room()
    qid = store.ask(code, key, (question or worked_question("clean", "softmax", 1, 0)).payload())
    return code, key, qid


def test_teacher_makes_a_room_and_asks(store):
    at = open_page(PAGE)
    _ok(at)
    at.button(key="cr_create").click().run()
    _ok(at)
    code = at.query_params["room"][0] if isinstance(at.query_params["room"], list) else at.query_params["room"]
    assert at.title[0].value == f"Room {code}"
    assert any(f"/Classroom?room={code}" in c.value for c in at.code)
    assert at.get("image"), "the QR code is drawn"
    assert len(at.get("download_button")) == 2  # the slides, PPTX and HTML
    at.button(key="cr_ask").click().run()
    _ok(at)
    room = store.room(code)
    assert store.question(room.current).payload["prompt"].startswith("What is weights[1, 1]?")
    assert at.button(key="cr_reveal") is not None


def test_student_joins_answers_and_sees_the_reveal(store):
    code, key, qid = _asked(store)
    at = _student(code, "<b>Ada</b> **bold**")
    assert any("\\<b\\>Ada\\</b\\> \\*\\*bold\\*\\*" in c.value for c in at.caption)  # shown as text
    at.text_input(key=f"cr_value_{qid}").input("0.09")
    at.button(key=f"cr_send_{qid}").click().run()
    _ok(at)
    assert any(s.value.startswith("Recorded: 0\\.09") for s in at.success)
    assert [a.value for a in store.answers(qid)] == ["0.09"]
    at.text_input(key=f"cr_value_{qid}").input("0.5")
    at.button(key=f"cr_send_{qid}").click().run()
    assert [a.value for a in store.answers(qid)] == ["0.5"]  # changed, still one answer
    store.reveal(code, key, qid)
    at.run()
    _ok(at)
    assert any(e.value.startswith("Not quite") for e in at.error)
    assert any("weights[1,0] = e^(" in t.value for t in at.text)


def test_student_reload_keeps_the_same_answer(store):
    code, key, qid = _asked(store)
    at = _student(code)
    me = at.query_params["me"]
    me = me[0] if isinstance(me, list) else me
    at.text_input(key=f"cr_value_{qid}").input("0.09")
    at.button(key=f"cr_send_{qid}").click().run()
    again = open_page(PAGE, {"room": code, "me": me})
    _ok(again)
    assert any(s.value.startswith("Recorded:") for s in again.success)
    assert store.student_count(code) == 1


@pytest.mark.parametrize("crafted", ["guessed-key", "room-code-as-key", "reveal-widget", "teacher-state-other-room"])
def test_student_can_never_act_as_teacher(store, crafted):
    code, key, qid = _asked(store)
    at = _student(code)
    if crafted in ("guessed-key", "room-code-as-key"):
        at.text_input(key="cr_resume_key").input("0" * 24 if crafted == "guessed-key" else code)
        at.button(key="cr_resume_submit").click().run()
        assert any("not this room's teacher key" in e.value for e in at.error)
    elif crafted == "reveal-widget":
        # What a crafted widget message amounts to: the teacher's widget keys set in a student's session.
        at.session_state["cr_reveal"] = True
        at.session_state["cr_close"] = True
        at.session_state["cr_ask"] = True
        at.run()
    else:
        other_code, other_key = store.create_room()
        at.session_state["cr_teacher"] = {"code": other_code, "key": other_key}
        at.run()
    _ok(at)
    assert "cr_reveal" not in [b.key for b in at.button]
    assert not store.question(qid).revealed and not store.room(code).closed
    assert store.room(code).current == qid


def test_teacher_resumes_with_the_key(store):
    code, key, qid = _asked(store)
    at = open_page(PAGE, {"room": code})
    at.text_input(key="cr_resume_key").input(key)
    at.button(key="cr_resume_submit").click().run()
    _ok(at)
    assert at.title[0].value == f"Room {code}"
    at.button(key="cr_reveal").click().run()
    assert store.question(qid).revealed


def test_open_question_sentences_shown_as_text_and_hideable(store):
    from attnviz.classroom.questions import open_question
    from attnviz.loading import BUILTIN_NAME

    code, key, qid = _asked(store, open_question(("negative", "positive"), BUILTIN_NAME))
    student = _student(code)
    markup = "<img src=x onerror=alert(1)> **not** bad [link](http://x)"
    student.text_area(key=f"cr_value_{qid}").input(markup)
    student.radio(key=f"cr_value_{qid}_label").set_value("positive")
    student.button(key=f"cr_send_{qid}").click().run()
    _ok(student)
    teacher = open_page(PAGE, {"room": code})
    teacher.text_input(key="cr_resume_key").input(key)
    teacher.button(key="cr_resume_submit").click().run()
    _ok(teacher)
    assert f"Ada: {markup}" in [t.value for t in teacher.text]
    assert any("Model: " in c.value for c in teacher.caption)
    hide = [b for b in teacher.button if b.key and b.key.startswith(f"cr_hide_{qid}_")]
    hide[0].click().run()
    _ok(teacher)
    assert f"Ada: {markup}" not in [t.value for t in teacher.text]
    assert store.answers(qid)[0].hidden


def test_unknown_room_says_so(store):
    at = open_page(PAGE, {"room": "ZZZZZ"})
    _ok(at)
    assert any("no open room" in e.value for e in at.error)


def test_inspect_question_from_the_model(store):
    at = open_page(PAGE)
    at.button(key="cr_create").click().run()
    at.radio(key="cr_kind").set_value("Inspect").run()
    _ok(at)
    at.text_input(key="cr_text").input("the cat sat because it was tired").run()
    at.selectbox(key="cr_query").set_value(5).run()
    at.button(key="cr_ask").click().run()
    _ok(at)
    code = at.query_params["room"]
    code = code[0] if isinstance(code, list) else code
    question = store.question(store.room(code).current).payload
    assert question["kind"] == "choice" and "which token does “it” (token 5) attend to most?" in question["prompt"]
    assert question["choices"][0] == "0: [CLS]" and 0 <= question["correct"] < len(question["choices"])


def test_join_link_uses_the_public_address_when_set(store, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_CLASSROOM_URL", "http://10.0.0.5:8501/")
    at = open_page(PAGE)
    at.button(key="cr_create").click().run()
    _ok(at)
    assert any(c.value.startswith("http://10.0.0.5:8501/Classroom?room=") for c in at.code)
    assert not any("names this computer only" in c.value for c in at.caption)
