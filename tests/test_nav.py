"""AppTest: every page's sidebar lists Home and the pages from attnviz.ui.nav, in the home page's order."""

import pytest

from attnviz.classroom.store import Store
from attnviz.ui.nav import HOME, PAGES
from tests.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")

TITLES = [page.title for page in PAGES]


def _sidebar_links(at) -> list[str]:
    return [link.value for link in at.sidebar.get("page_link")]


def test_the_table_starts_at_home_and_follows_the_files_number_prefixes():
    assert HOME.path == "app.py" and HOME.title == "Home"
    prefixes = [int(page.path.removeprefix("pages/").split("_")[0]) for page in PAGES]
    assert prefixes == list(range(1, len(PAGES) + 1))


def test_the_home_page_links_the_pages_in_the_sidebars_order():
    at = open_page(None)
    assert not at.exception
    assert _sidebar_links(at) == ["Home", *TITLES]
    main = [link.value for link in at.main.get("page_link")]
    assert main == [f"Open {title}" for title in TITLES]
    summaries = at.main.markdown[0].value
    positions = [summaries.index(f"**{title}**") for title in TITLES]
    assert positions == sorted(positions)


@pytest.mark.parametrize("path", [page.path for page in PAGES], ids=TITLES)
def test_every_page_draws_the_nav_first_in_its_sidebar(path):
    at = open_page(path)
    assert not at.exception, at.exception
    assert _sidebar_links(at) == ["Home", *TITLES]
    # Above the model picker: the first thing in the sidebar.
    assert at.sidebar.children[0].type == "page_link"


def test_a_student_in_a_classroom_sees_the_nav_too(tmp_path, monkeypatch):
    path = tmp_path / "classroom.sqlite3"
    monkeypatch.setenv("ATTNVIZ_CLASSROOM_DB", str(path))
    code, _ = Store(path).create_room()
    at = open_page("pages/5_Classroom.py", {"room": code})
    assert not at.exception, at.exception
    assert at.text_input(key="cr_nickname")  # the student's join form, not the teacher's view
    assert _sidebar_links(at) == ["Home", *TITLES]
