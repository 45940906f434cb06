"""Real browser: the Corpus page on a run of 24 SST-2 dev sentences, and a row's link opening Inspect."""

from __future__ import annotations

import urllib.parse

import pytest

from attnviz import corpus
from attnviz.ui.corpus import inspect_link
from tests.e2e.conftest import assert_no_exception, streamlit_server, wait_idle

pytestmark = pytest.mark.e2e

DEV = "/work/shared/data/sst2/dev.tsv"


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory, builtin_model):
    root = tmp_path_factory.mktemp("corpus_runs")
    corpus.run(DEV, root / "sst2-dev", text_column="sentence", label_column="label", model=builtin_model, limit=24)
    with streamlit_server({"ATTNVIZ_CORPUS_RUNS": str(root)}) as server:
        yield server.url, root


def test_corpus_page_draws_scores_and_heads(page, corpus_app):
    from playwright.sync_api import expect

    url, root = corpus_app
    films = corpus.open_run(root / "sst2-dev").count(corpus.Slice(search="film"))
    page.goto(url + "/Corpus")
    expect(page.get_by_text("Confusion matrix (24 rows)")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("mean over 24 rows").first).to_be_visible()
    wait_idle(page)
    assert_no_exception(page)
    main = page.inner_text("[data-testid='stMain']")
    assert "accuracy" in main and "Texts where layer 0, head 0" in main
    page.get_by_label("Text contains").fill("film")
    page.get_by_label("Text contains").press("Enter")
    expect(page.get_by_text(f"mean over {films} rows").first).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)


def test_corpus_row_link_opens_inspect(page, corpus_app):
    from playwright.sync_api import expect

    url, root = corpus_app
    text = corpus.open_run(root / "sst2-dev").misclassified(k=1)["text"].iloc[0]
    link = inspect_link(text)
    assert urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["text"] == [text]
    page.goto(url + link)
    expect(page.locator("textarea[aria-label='Text to analyse']")).to_have_value(text, timeout=120_000)
    wait_idle(page)
    assert_no_exception(page)
