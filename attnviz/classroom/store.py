"""Rooms, questions and answers in one SQLite file (WAL), so a server restart in a lesson loses nothing.

Only the holder of a room's teacher key may ask, reveal, hide or close; the key is compared in constant time.
Every call opens its own short connection: Streamlit runs each session's script in its own thread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from attnviz import settings
from attnviz.errors import InputError

ROOM_HOURS = 12.0
MAX_ROOMS = 100
MAX_STUDENTS = 200
MAX_ANSWER_CHARS = 500
MAX_NICKNAME_CHARS = 40
# No 0/O, 1/I/L: a code read off a projector is typed right the first time.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
DB_VARIABLE = settings.CLASSROOM_DB
URL_VARIABLE = settings.CLASSROOM_URL  # the app's address as students reach it, when the teacher's is localhost

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
  code TEXT PRIMARY KEY, key_hash BLOB NOT NULL, created REAL NOT NULL, expires REAL NOT NULL,
  current INTEGER, closed INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS students (
  room TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE, id TEXT NOT NULL, nickname TEXT NOT NULL,
  joined REAL NOT NULL, PRIMARY KEY (room, id));
CREATE TABLE IF NOT EXISTS questions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
  payload TEXT NOT NULL, revealed INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
  question INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE, student TEXT NOT NULL,
  value TEXT NOT NULL, hidden INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL, PRIMARY KEY (question, student));
"""


class ClassroomError(InputError):
    """A room action that cannot be done; the message says why and what to do."""


class NotTeacherError(ClassroomError):
    """The key does not open this room as its teacher."""


class LimitError(ClassroomError):
    """A limit (rooms, students per room, answer size) was reached; the message names it."""


@dataclass(frozen=True)
class Room:
    code: str
    created: float
    expires: float
    current: int | None  # id of the question being asked, None before the first
    closed: bool
    version: int  # bumped on every change a live view must show


@dataclass(frozen=True)
class StoredQuestion:
    id: int
    payload: dict
    revealed: bool


@dataclass(frozen=True)
class Answer:
    student: str
    nickname: str
    value: str
    hidden: bool
    updated: float


def default_path() -> Path:
    """The file named by ATTNVIZ_CLASSROOM_DB, else classroom.sqlite3 in the user's data folder."""
    named = settings.current().classroom_db
    if named:
        return Path(named)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "attnviz" / "classroom.sqlite3"


def public_url() -> str:
    """ATTNVIZ_CLASSROOM_URL without a trailing slash, or "" when unset."""
    return settings.current().classroom_url


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "replace")).digest()


class Store:
    """All classroom state; ``now`` is injectable so tests can move the clock past a room's expiry."""

    def __init__(self, path: str | Path | None = None, now=time.time) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._now = now
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        self.purge_expired()  # a server that slept through a room's expiry deletes it on start

    @contextmanager
    def _db(self):
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed answer survives a process kill
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self):
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # Rooms -----------------------------------------------------------------------------------------------
    def create_room(self) -> tuple[str, str]:
        """(code, teacher key) of a new room; the key is shown once and only its hash is stored."""
        self.purge_expired()
        key = secrets.token_urlsafe(18)
        now = self._now()
        with self._write() as db:
            (open_rooms,) = db.execute("SELECT COUNT(*) FROM rooms WHERE closed = 0").fetchone()
            if open_rooms >= MAX_ROOMS:
                raise LimitError(f"This server already has {MAX_ROOMS} open rooms, its limit. Close a room "
                                 f"or wait until one expires ({ROOM_HOURS:g} h after it was made).")
            for _ in range(20):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if db.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone() is None:
                    break
            db.execute("INSERT INTO rooms (code, key_hash, created, expires) VALUES (?, ?, ?, ?)",
                       (code, _hash(key), now, now + ROOM_HOURS * 3600))
        return code, key

    def room(self, code: str) -> Room | None:
        """The open, unexpired room with this code (case and spaces ignored), else None."""
        code = normalise_code(code)
        with self._db() as db:
            row = db.execute("SELECT code, created, expires, current, closed, version FROM rooms WHERE code = ?",
                             (code,)).fetchone()
        if row is None or row[2] <= self._now():
            return None
        return Room(row[0], row[1], row[2], row[3], bool(row[4]), row[5])

    def is_teacher(self, code: str, key: str | None) -> bool:
        """True when ``key`` is this room's teacher key (constant-time comparison of the hashes)."""
        if not key:
            return False
        with self._db() as db:
            row = db.execute("SELECT key_hash FROM rooms WHERE code = ?", (normalise_code(code),)).fetchone()
        return row is not None and hmac.compare_digest(bytes(row[0]), _hash(key))

    def _require_teacher(self, code: str, key: str | None) -> None:
        if not self.is_teacher(code, key):
            raise NotTeacherError("Only the teacher who made this room can do that.")

    def close_room(self, code: str, key: str | None) -> None:
        self._require_teacher(code, key)
        with self._write() as db:
            db.execute("UPDATE rooms SET closed = 1, version = version + 1 WHERE code = ?", (normalise_code(code),))

    def purge_expired(self) -> int:
        """Delete rooms past their expiry together with their students, questions and answers; how many."""
        with self._write() as db:
            return db.execute("DELETE FROM rooms WHERE expires <= ?", (self._now(),)).rowcount

    # Students --------------------------------------------------------------------------------------------
    def join(self, code: str, student: str, nickname: str = "") -> str:
        """Add ``student`` (a random id the student's browser keeps) to the room; returns the nickname used."""
        nickname = " ".join((nickname or "").split())[:MAX_NICKNAME_CHARS] or "anonymous"
        room = self._open_room(code)
        with self._write() as db:
            if db.execute("SELECT 1 FROM students WHERE room = ? AND id = ?", (room.code, student)).fetchone():
                db.execute("UPDATE students SET nickname = ? WHERE room = ? AND id = ?", (nickname, room.code, student))
                return nickname
            (count,) = db.execute("SELECT COUNT(*) FROM students WHERE room = ?", (room.code,)).fetchone()
            if count >= MAX_STUDENTS:
                raise LimitError(f"Room {room.code} is full: {MAX_STUDENTS} students have joined, its limit.")
            db.execute("INSERT INTO students VALUES (?, ?, ?, ?)", (room.code, student, nickname, self._now()))
        return nickname

    def student_count(self, code: str) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM students WHERE room = ?", (normalise_code(code),)).fetchone()[0]

    def nickname(self, code: str, student: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT nickname FROM students WHERE room = ? AND id = ?",
                             (normalise_code(code), student)).fetchone()
        return row[0] if row else None

    def _open_room(self, code: str) -> Room:
        room = self.room(code)
        if room is None:
            raise ClassroomError(f"There is no room {normalise_code(code)!r} (it may have expired). "
                                 "Check the code with your teacher.")
        if room.closed:
            raise ClassroomError(f"Room {room.code} has been closed by the teacher.")
        return room

    # Questions -------------------------------------------------------------------------------------------
    def ask(self, code: str, key: str | None, payload: dict) -> int:
        """Make ``payload`` (a question as plain JSON data) the room's current question; its id."""
        self._require_teacher(code, key)
        room = self._open_room(code)
        with self._write() as db:
            qid = db.execute("INSERT INTO questions (room, payload, created) VALUES (?, ?, ?)",
                             (room.code, json.dumps(payload), self._now())).lastrowid
            db.execute("UPDATE rooms SET current = ?, version = version + 1 WHERE code = ?", (qid, room.code))
        return int(qid)

    def question(self, qid: int | None) -> StoredQuestion | None:
        if qid is None:
            return None
        with self._db() as db:
            row = db.execute("SELECT id, payload, revealed FROM questions WHERE id = ?", (qid,)).fetchone()
        return StoredQuestion(row[0], json.loads(row[1]), bool(row[2])) if row else None

    def reveal(self, code: str, key: str | None, qid: int) -> None:
        self._require_teacher(code, key)
        with self._write() as db:
            db.execute("UPDATE questions SET revealed = 1 WHERE id = ? AND room = ?", (qid, normalise_code(code)))
            db.execute("UPDATE rooms SET version = version + 1 WHERE code = ?", (normalise_code(code),))

    # Answers ---------------------------------------------------------------------------------------------
    def answer(self, code: str, student: str, qid: int, value: str) -> None:
        """Record or replace the student's one answer to question ``qid``, until the teacher reveals it."""
        value = str(value)
        if len(value) > MAX_ANSWER_CHARS:
            raise LimitError(f"That answer is {len(value):,} characters; at most {MAX_ANSWER_CHARS} fit.")
        room = self._open_room(code)
        with self._write() as db:
            if db.execute("SELECT 1 FROM students WHERE room = ? AND id = ?", (room.code, student)).fetchone() is None:
                raise ClassroomError("Join the room first.")
            row = db.execute("SELECT revealed FROM questions WHERE id = ? AND room = ?", (qid, room.code)).fetchone()
            if row is None or qid != room.current:
                raise ClassroomError("The teacher has moved on: this question no longer takes answers.")
            if row[0]:
                raise ClassroomError("The answer has been revealed: answers can no longer change.")
            db.execute("INSERT INTO answers (question, student, value, updated) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (question, student) DO UPDATE SET value = excluded.value, "
                       "updated = excluded.updated", (qid, student, value, self._now()))

    def my_answer(self, qid: int, student: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT value FROM answers WHERE question = ? AND student = ?", (qid, student)).fetchone()
        return row[0] if row else None

    def answers(self, qid: int) -> tuple[Answer, ...]:
        """Every answer to ``qid`` with the student's nickname, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT a.student, COALESCE(s.nickname, ''), a.value, a.hidden, a.updated FROM answers a "
                "JOIN questions q ON q.id = a.question LEFT JOIN students s ON s.room = q.room AND s.id = a.student "
                "WHERE a.question = ? ORDER BY a.updated", (qid,)).fetchall()
        return tuple(Answer(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows)

    def set_hidden(self, code: str, key: str | None, qid: int, student: str, hidden: bool = True) -> None:
        """Hide (or show again) one student's answer on the teacher's projected list."""
        self._require_teacher(code, key)
        with self._write() as db:
            db.execute("UPDATE answers SET hidden = ? WHERE question = ? AND student = ? AND question IN "
                       "(SELECT id FROM questions WHERE room = ?)", (int(hidden), qid, student, normalise_code(code)))


def normalise_code(code: str) -> str:
    """A typed room code in canonical form: upper case, no spaces or dashes."""
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())[:16]


def new_student_id() -> str:
    """A random id a student's browser keeps in its URL, so a reload or a restart keeps the same answer."""
    return secrets.token_urlsafe(12)
