"""The classroom store on a real SQLite file: teacher rights, one answer per student, restarts, expiry, limits."""

import sqlite3
import subprocess
import sys

import pytest

from attnviz.classroom import store as store_module
from attnviz.classroom.store import ClassroomError, LimitError, NotTeacherError, Store, normalise_code

QUESTION = {"kind": "number", "prompt": "What is weights[1, 0]?", "correct": 0.09, "tolerance": 0.01}


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def db(tmp_path):
    return tmp_path / "classroom.sqlite3"


def _room(store):
    code, key = store.create_room()
    qid = store.ask(code, key, QUESTION)
    store.join(code, "s1", "Ada")
    return code, key, qid


def test_store_uses_wal_on_the_named_file(db):
    Store(db)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_path_from_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv(store_module.DB_VARIABLE, str(tmp_path / "x" / "c.db"))
    assert Store().path == tmp_path / "x" / "c.db"
    monkeypatch.delenv(store_module.DB_VARIABLE)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert store_module.default_path() == tmp_path / "data" / "attnviz" / "classroom.sqlite3"


def test_classroom_settings_are_parsed_with_the_others():
    from attnviz import settings

    got = settings.parse({"ATTNVIZ_CLASSROOM_DB": " ~/c.db ", "ATTNVIZ_CLASSROOM_URL": "http://10.0.0.5:8501/ "})
    assert got.classroom_db.endswith("/c.db") and not got.classroom_db.startswith("~")
    assert got.classroom_url == "http://10.0.0.5:8501"
    assert settings.parse({}).classroom_db is None


@pytest.mark.parametrize("guess", ["", None, "wrong", "CODE"], ids=["empty", "none", "guessed", "room-code"])
def test_store_student_cannot_act_as_teacher(db, guess):
    store = Store(db)
    code, key, qid = _room(store)
    guess = code if guess == "CODE" else guess
    for act in (lambda: store.reveal(code, guess, qid), lambda: store.ask(code, guess, QUESTION),
                lambda: store.close_room(code, guess), lambda: store.set_hidden(code, guess, qid, "s1")):
        with pytest.raises(NotTeacherError):
            act()
    assert not store.question(qid).revealed and not store.room(code).closed


def test_store_key_of_one_room_does_not_open_another(db):
    store = Store(db)
    code_a, key_a, _ = _room(store)
    code_b, _, qid_b = _room(store)
    with pytest.raises(NotTeacherError):
        store.reveal(code_b, key_a, qid_b)
    assert store.is_teacher(code_a, key_a) and not store.is_teacher(code_b, key_a)


def test_store_one_answer_per_student_changeable_until_reveal(db):
    store = Store(db)
    code, key, qid = _room(store)
    store.answer(code, "s1", qid, "0.5")
    store.answer(code, "s1", qid, "0.09")
    assert [(a.nickname, a.value) for a in store.answers(qid)] == [("Ada", "0.09")]
    store.reveal(code, key, qid)
    with pytest.raises(ClassroomError, match="revealed"):
        store.answer(code, "s1", qid, "1")
    assert store.my_answer(qid, "s1") == "0.09"


def test_store_answer_to_an_old_question_is_refused(db):
    store = Store(db)
    code, key, qid = _room(store)
    store.ask(code, key, QUESTION)
    with pytest.raises(ClassroomError, match="moved on"):
        store.answer(code, "s1", qid, "1")


def test_store_answers_survive_a_killed_process(db):
    code, key = Store(db).create_room()
    script = "\n".join((
        "import os, sys",
        "from attnviz.classroom.store import Store",
        "s = Store(sys.argv[1])",
        "q = s.ask(sys.argv[2], sys.argv[3], {'kind': 'open', 'prompt': 'p'})",
        "for i in range(25):",
        "    s.join(sys.argv[2], f's{i}')",
        "    s.answer(sys.argv[2], f's{i}', q, str(i))",
        "print(q, flush=True)",
        "os.kill(os.getpid(), 9)  # no clean shutdown, as when a server is killed",
    ))
    run = subprocess.run([sys.executable, "-c", script, str(db), code, key], capture_output=True, text=True)
    assert run.returncode == -9
    qid = int(run.stdout.split()[0])
    after = Store(db)
    assert sorted(int(a.value) for a in after.answers(qid)) == list(range(25))
    assert after.room(code).current == qid


def test_store_expired_room_is_deleted_with_its_answers(db):
    clock = Clock()
    store = Store(db, now=clock)
    code, key, qid = _room(store)
    store.answer(code, "s1", qid, "0.09")
    clock.t += store_module.ROOM_HOURS * 3600 + 1
    assert store.room(code) is None
    assert store.purge_expired() == 1
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0
        assert raw.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 0
    with pytest.raises(ClassroomError, match="no room"):
        store.join(code, "s2")


def test_store_limits_have_clear_messages(db, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_STUDENTS", 2)
    monkeypatch.setattr(store_module, "MAX_ROOMS", 2)
    store = Store(db)
    code, key, qid = _room(store)
    store.join(code, "s2")
    with pytest.raises(LimitError, match="full: 2 students"):
        store.join(code, "s3")
    store.join(code, "s1", "Ada again")  # rejoining is not a new student
    with pytest.raises(LimitError, match="at most 500"):
        store.answer(code, "s1", qid, "x" * 501)
    store.create_room()
    with pytest.raises(LimitError, match="2 open rooms"):
        store.create_room()


def test_store_nickname_is_trimmed_and_kept_as_given(db):
    store = Store(db)
    code, _ = store.create_room()
    assert store.join(code, "s", "  <b>Bo</b>\n  [x](y) " + "z" * 80) == ("<b>Bo</b> [x](y) " + "z" * 80)[:40]
    assert store.join(code, "t", "   ") == "anonymous"


def test_store_code_typed_loosely_is_found(db):
    store = Store(db)
    code, _ = store.create_room()
    assert store.room(f" {code[:2].lower()}-{code[2:]} ").code == code
    assert normalise_code(None) == ""
