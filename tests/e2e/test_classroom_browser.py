"""Real browser: one teacher and two students in chromium on the Classroom page of `streamlit run`."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_exception, streamlit_server, wait_idle

pytestmark = pytest.mark.e2e
ROOM_TITLE = re.compile(r"^Room [A-Z0-9]+$")  # not the page title "Classroom"

MAIN = "[data-testid='stMain']"
SHOTS = os.environ.get("ATTNVIZ_SHOTS")  # a folder: save the projector and phone screenshots there


@pytest.fixture(scope="module")
def classroom_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("classroom") / "classroom.sqlite3"
    with streamlit_server({"ATTNVIZ_CLASSROOM_DB": str(db)}) as server:
        yield server.url, db


@pytest.fixture
def classroom_url(classroom_server):
    return classroom_server[0]


def _student(browser, link: str, nickname: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(link)
    expect(page.locator(MAIN)).to_contain_text("Join room", timeout=60_000)
    page.get_by_label("Nickname (optional)").fill(nickname)
    page.get_by_role("button", name="Join").click()
    expect(page.locator(MAIN)).to_contain_text("What is weights[1, 1]?", timeout=60_000)
    return context, page


def _answer(page, value: str):
    page.get_by_label("Your answer (a number)").fill(value)
    page.get_by_role("button", name=re.compile("Send answer|Change my answer")).click()
    expect(page.locator(MAIN)).to_contain_text(f"Recorded: {value}", timeout=30_000)


def test_one_teacher_two_students(browser, classroom_url):
    teacher_ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    teacher = teacher_ctx.new_page()
    teacher.goto(classroom_url + "/Classroom")
    teacher.get_by_role("button", name="Make a room").click()
    expect(teacher.locator("h1").filter(has_text=ROOM_TITLE)).to_be_visible(timeout=60_000)
    code = teacher.locator("h1").filter(has_text=ROOM_TITLE).inner_text().split()[-1]
    expect(teacher.locator(f"{MAIN} img").first).to_be_visible(timeout=30_000)  # the QR code
    teacher.get_by_role("button", name="Ask the class").click()
    board = teacher.locator(MAIN)
    expect(board).to_contain_text("0 of 0", timeout=30_000)

    link = f"{classroom_url}/Classroom?room={code}"
    ada_ctx, ada = _student(browser, link, "<b>Ada</b>")
    bo_ctx, bo = _student(browser, link, "Bo")
    _answer(ada, "0.5")
    _answer(ada, "0.665")  # changed: still one answer
    _answer(bo, "0.2")
    expect(board).to_contain_text("2 of 2", timeout=30_000)  # the live board, without a reload
    expect(ada.locator(MAIN)).to_contain_text("you are <b>Ada</b>")  # a nickname with markup is text
    assert ada.locator(f"{MAIN} b", has_text="Ada").count() == 0
    # A student's page never offers the teacher's controls.
    assert ada.get_by_role("button", name="Reveal the answer").count() == 0

    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        teacher.locator("h1").filter(has_text=ROOM_TITLE).scroll_into_view_if_needed()
        teacher.screenshot(path=f"{SHOTS}/teacher-1024x768.png")
        ada.screenshot(path=f"{SHOTS}/student-390x844.png", full_page=True)
    teacher.get_by_role("button", name="Reveal the answer").click()
    expect(board).to_contain_text("Answer: 0.6652", timeout=30_000)
    expect(ada.locator(MAIN)).to_contain_text("Right!", timeout=30_000)  # by the student's own timer
    expect(bo.locator(MAIN)).to_contain_text("Not quite", timeout=30_000)
    if SHOTS:
        teacher.screenshot(path=f"{SHOTS}/teacher-revealed-1024x768.png")
        ada.screenshot(path=f"{SHOTS}/student-revealed-390x844.png", full_page=True)
    for page in (teacher, ada, bo):
        wait_idle(page)
        assert_no_exception(page)
    for context in (teacher_ctx, ada_ctx, bo_ctx):
        context.close()



def test_crafted_widget_messages_from_a_student_change_nothing(classroom_server):
    """A student's websocket sends the teacher's reveal/close/ask widget ids, also as the board's fragment: ignored."""
    import asyncio
    import sqlite3
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from quiz import PageSession, make_room

    url, db = classroom_server

    async def attack() -> str:
        teacher, code, _ = await make_room(url)
        board = next(iter(teacher.timers))
        student = await PageSession.open(url, f"room={code}")
        await student.run({"cr_nickname": "mallory", "cr_join_submit": True})
        for key in ("cr_reveal", "cr_close", "cr_ask"):
            student.last.widgets[key] = teacher.last.widgets[key]
            drawn = await student.run({key: True})
            assert not drawn.exceptions and "cr_reveal" not in drawn.widgets
            student.last.widgets[key] = teacher.last.widgets[key]
            try:
                await student.run({key: True}, fragment=board, timeout_s=10)
            except asyncio.TimeoutError:
                pass  # a fragment this session never drew: the server may drop the request unanswered
        await teacher.close()
        await student.close()
        return code

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        code = pool.submit(lambda: asyncio.run(attack())).result(timeout=300)
    with sqlite3.connect(db) as raw:
        closed, revealed, asked = raw.execute(
            "SELECT r.closed, q.revealed, (SELECT COUNT(*) FROM questions WHERE room = r.code) FROM rooms r "
            "JOIN questions q ON q.id = r.current WHERE r.code = ?", (code,)).fetchone()
    assert (closed, revealed, asked) == (0, 0, 1)
