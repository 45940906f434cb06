"""`load.py quiz`: a teacher and N students on the Classroom page, over Streamlit's own websocket protocol.

Each session drives widgets by their keys (Streamlit puts a widget's key at the end of its element id) and
follows the page's st.fragment timers as a browser does, so the idle figure counts the real polling.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from stclient import Session
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

_DONE = (ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
         ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


@dataclass
class Drawn:
    """What one run drew: widget ids by key, alert bodies, metric label → value, code blocks."""

    widgets: dict[str, str] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


class PageSession:
    """One browser tab on a page; ``run()`` is serialised with the fragment timers the page asked for."""

    def __init__(self, session: Session, query: str) -> None:
        self.s, self.query = session, query
        self.timers: dict[str, float] = {}
        self.lock = asyncio.Lock()
        self.polls: list[asyncio.Task] = []
        self.last = Drawn()

    @classmethod
    async def open(cls, url: str, query: str = "") -> "PageSession":
        tab = cls(await Session.open(url, "Classroom"), query)
        await tab.run()
        return tab

    async def run(self, values: dict[str, object] | None = None, fragment: str | None = None,
                  auto: bool = False, timeout_s: float = 60) -> Drawn:
        async with self.lock:
            msg = BackMsg()
            state = msg.rerun_script
            state.page_name, state.query_string = self.s.page, self.query
            if self.s.page_hash:
                state.page_script_hash = self.s.page_hash
            if fragment:
                state.fragment_id, state.is_auto_rerun = fragment, auto
            for key, value in (values or {}).items():
                w = state.widget_states.widgets.add(id=self.last.widgets[key])
                if value is True:
                    w.trigger_value = True
                else:
                    w.string_value = str(value)
            await self.s.ws.send(msg.SerializeToString())
            drawn = Drawn()
            await asyncio.wait_for(self._collect(drawn), timeout_s)
            if not fragment:
                self.last = drawn
            else:
                self.last.widgets.update(drawn.widgets)
            return drawn

    async def _collect(self, drawn: Drawn) -> None:
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.s.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                for page in fwd.navigation.app_pages:
                    if page.page_name == self.s.page:
                        self.s.page_hash = page.page_script_hash
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.timers[fwd.auto_rerun.fragment_id] = fwd.auto_rerun.interval
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                _record(fwd.delta.new_element, drawn)
            elif kind == "script_finished" and fwd.script_finished in _DONE:
                return

    def follow_timers(self) -> None:
        """Rerun each fragment at the interval the page set, as the browser's timer does."""
        for fragment, interval in self.timers.items():
            self.polls.append(asyncio.create_task(self._poll(fragment, interval)))

    async def _poll(self, fragment: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.run(fragment=fragment, auto=True)
            except Exception:  # the server went away (the restart test): stop polling
                return

    async def close(self) -> None:
        for task in self.polls:
            task.cancel()
        await self.s.close()


def _record(element, drawn: Drawn) -> None:
    kind = element.WhichOneof("type")
    inner = getattr(element, kind) if kind else None
    if kind in ("text_input", "button", "radio", "text_area", "selectbox", "number_input"):
        key = inner.id.rsplit("-", 1)[-1] if "$$ID" in inner.id else inner.id
        drawn.widgets[key] = inner.id
    elif kind == "alert":
        drawn.alerts.append(inner.body)
    elif kind == "metric":
        drawn.metrics[inner.label] = inner.body
    elif kind == "code":
        drawn.codes.append(inner.code_text)
    elif kind == "exception":
        drawn.exceptions.append(inner.message)


async def make_room(url: str) -> tuple[PageSession, str, str]:
    """The teacher makes a room and asks the composer's default question; (teacher tab, code, key)."""
    teacher = await PageSession.open(url)
    drawn = await teacher.run({"cr_create": True})
    code = parse_qs(teacher.query)["room"][0]
    key = next(c for c in drawn.codes if "Classroom?room=" not in c)
    await teacher.run({"cr_ask": True})
    return teacher, code, key


async def join_and_answer(url: str, code: str, i: int, window_s: float, rng: random.Random) -> dict:
    await asyncio.sleep(rng.uniform(0, window_s * 0.5))
    tab = await PageSession.open(url, f"room={code}")
    await tab.run({"cr_nickname": f"student {i}", "cr_join_submit": True})
    card = next(iter(tab.timers))
    tab.follow_timers()
    await asyncio.sleep(rng.uniform(0, window_s * 0.3))
    value_key = next(k for k in tab.last.widgets if k.startswith("cr_value_"))
    start = time.perf_counter()
    drawn = await tab.run({value_key: rng.choice(("0.090", "0.5", "0.331", "0.25")),
                           "cr_send_" + value_key.split("_")[-1]: True}, fragment=card)
    seconds = time.perf_counter() - start
    ok = any(a.startswith("Recorded:") for a in drawn.alerts) and not drawn.exceptions
    return {"tab": tab, "seconds": seconds, "ok": ok, "at": time.monotonic(), "me": parse_qs(tab.query)["me"][0]}


async def wait_for_count(teacher: PageSession, students: int, timeout_s: float = 30) -> float:
    """Poll the teacher's board as its fragment timer does; the time at which it shows every answer."""
    fragment, interval = next(iter(teacher.timers.items()))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        drawn = await teacher.run(fragment=fragment, auto=True)
        if drawn.metrics.get("Answers") == f"{students} of {students}":
            return time.monotonic()
        await asyncio.sleep(interval)
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def quiz_round(url: str, pid: int, students: int, idle_s: float) -> dict:
    teacher, code, key = await make_room(url)
    results = await asyncio.gather(*(join_and_answer(url, code, i, 10.0, random.Random(i)) for i in range(students)))
    last = max(r["at"] for r in results)
    shown = await wait_for_count(teacher, students)
    teacher.follow_timers()  # the projector keeps its board live too
    before, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(idle_s)  # everyone waits with the page open; their fragment timers keep polling
    idle = 100 * (cpu_seconds(pid) - before) / (time.monotonic() - t0)
    lat = sorted(r["seconds"] for r in results)
    for r in results:
        await r["tab"].close()
    await teacher.close()
    return {"code": code, "key": key, "acked": sum(r["ok"] for r in results), "me": results[0]["me"],
            "histogram_lag_s": round(shown - last, 3), "idle_cpu_percent": round(idle, 1),
            "submit_p95_s": round(lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))], 3),
            "submit_p50_s": round(statistics.median(lat), 3)}


def recorded(db: Path, code: str) -> int:
    with sqlite3.connect(db) as raw:
        return raw.execute("SELECT COUNT(*) FROM answers a JOIN rooms r ON r.current = a.question "
                           "WHERE r.code = ?", (code,)).fetchone()[0]


async def after_restart(url: str, code: str, key: str, me: str, students: int) -> bool:
    """The teacher resumes with the key and sees every answer; a student's reload still shows theirs."""
    teacher = await PageSession.open(url, f"room={code}")
    drawn = await teacher.run({"cr_resume_key": key, "cr_resume_submit": True})
    student = await PageSession.open(url, f"room={code}&me={me}")
    mine = any(a.startswith("Recorded:") for a in student.last.alerts)
    await teacher.close()
    await student.close()
    return drawn.metrics.get("Answers") == f"{students} of {students}" and mine


def run_quiz(streamlit_server, students: int, idle_s: float) -> dict:
    """Round, kill -9 mid-question, restart on the same file, check; the figures as one dict."""
    db = Path(tempfile.mkdtemp(prefix="attnviz-quiz-")) / "classroom.sqlite3"
    env = {"ATTNVIZ_CLASSROOM_DB": str(db)}
    with streamlit_server(env) as server:
        try:
            got = asyncio.run(quiz_round(server.url, server.pid, students, idle_s))
        finally:
            os.kill(server.pid, signal.SIGKILL)  # no clean shutdown: the question is still open
    stored = recorded(db, got["code"])
    with streamlit_server(env) as server:
        survived = asyncio.run(after_restart(server.url, got["code"], got["key"], got["me"], students))
    survived = survived and recorded(db, got["code"]) == stored
    return {"students": students, "recorded": stored, "lost": students - stored,
            "histogram_lag_s": got["histogram_lag_s"], "submit_p95_s": got["submit_p95_s"],
            "idle_cpu_percent": got["idle_cpu_percent"], "survived_restart": survived}
