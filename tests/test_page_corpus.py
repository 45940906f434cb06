"""The Corpus page through AppTest: a run on disk is shown (scores, heads, top-k with Inspect links); a new run starts."""

from __future__ import annotations

import pytest

from attnviz import corpus
from tests.apptest import open_page

PAGE = "pages/4_Corpus.py"
ROWS = ["the film was good .\t1", "the film was bad .\t0", "i love it !\t1", "not good\t0", "the cat sat on the mat\t1"]


@pytest.fixture
def runs(tmp_path, monkeypatch, tiny_classifier):
    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny.tsv").write_text("sentence\tlabel\n" + "\n".join(ROWS * 3) + "\n", encoding="utf-8")
    corpus.run(data / "tiny.tsv", tmp_path / "runs" / "tiny", text_column="sentence", label_column="label", model=tiny_classifier)
    monkeypatch.setenv("ATTNVIZ_CORPUS_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("ATTNVIZ_CORPUS_DATA", str(data))
    return tmp_path


def _chart_titles(at) -> list[str]:
    import json

    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_corpus_page_shows_scores_heads_and_links(runs, fresh_caches):
    at = open_page(PAGE)
    assert not at.exception
    titles = _chart_titles(at)
    assert any(t.startswith("Confusion matrix (15 rows)") for t in titles)
    assert any("mean over 15 rows" in t for t in titles)
    assert [m.label for m in at.metric] == ["accuracy", "precision", "recall", "F1"]
    top = next(d.value for d in at.dataframe if "value" in d.value.columns)
    assert len(top) == 10 and top["open"].str.startswith("/Inspect?text=").all()
    at.text_input(key="corpus_search").set_value("film").run()
    assert not at.exception
    assert any("mean over 6 rows" in t for t in _chart_titles(at))
    at.selectbox(key="corpus_statistic").set_value("previous_token").run()
    assert any("token just before" in t for t in _chart_titles(at))


def test_corpus_page_starts_a_run_on_an_allowed_file(runs, fresh_caches):
    at = open_page(PAGE)
    at.number_input(key="corpus_limit").set_value(7)
    at.button[0].click().run(timeout=300)
    assert not at.exception
    assert any("7 rows" in s.value for s in at.success)
    assert (runs / "runs" / "tiny-7" / "manifest.json").is_file()


def test_corpus_page_without_runs_says_how_to_make_one(tmp_path, monkeypatch, fresh_caches):
    monkeypatch.setenv("ATTNVIZ_CORPUS_RUNS", str(tmp_path / "none"))
    monkeypatch.delenv("ATTNVIZ_CORPUS_DATA", raising=False)
    at = open_page(PAGE)
    assert not at.exception
    assert any("No corpus runs" in i.value for i in at.info)


def _faithfulness_table(at):
    return next((d.value for d in at.dataframe if "comprehensiveness_vs_random" in d.value.columns), None)


def test_corpus_page_shows_the_faithfulness_summary_of_a_faithfulness_run(runs, tiny_classifier, fresh_caches):
    out = runs / "runs" / "tiny-faithfulness"
    corpus.run(runs / "data" / "tiny.tsv", out, text_column="sentence", model=tiny_classifier, limit=4, faithfulness=True)
    at = open_page(PAGE)
    assert _faithfulness_table(at) is None  # the plain run is picked first
    assert any("no faithfulness scores" in c.value for c in at.caption)
    at.selectbox(key="corpus_run").set_value("tiny-faithfulness").run()
    assert not at.exception
    table = _faithfulness_table(at)
    expected = corpus.open_run(out).faithfulness()
    assert table["method"].tolist() == expected["method"].tolist() and len(table) == 7
    assert table["comprehensiveness"].tolist() == expected["comprehensiveness"].round(3).tolist()
    assert any("Means over 4 texts" in c.value and "Most comprehensive here" in c.value for c in at.caption)


def test_corpus_page_starts_a_faithfulness_run(runs, fresh_caches):
    at = open_page(PAGE)
    at.number_input(key="corpus_limit").set_value(2)
    at.checkbox(key="corpus_faithfulness").check()
    at.button[0].click().run(timeout=300)
    assert not at.exception
    assert (runs / "runs" / "tiny-2-faithfulness" / "manifest.json").is_file()
    table = _faithfulness_table(at)
    assert table is not None and len(table) == 7
