"""Corpus mode with --faithfulness: each row's columns are attnviz.scoreboard's numbers; the summary is theirs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import attnviz
from attnviz import corpus
from attnviz.corpus import faithful
from attnviz.corpus.__main__ import main
from attnviz.corpus.run import FAITHFULNESS_SHARD_ROWS
from attnviz.errors import InputError

TEXTS = ("the film was good .", "a", "not bad , i love it !", "the cat sat on the mat .", "is it a good movie ?")
# Written out, not read from scoreboard.METHODS: a method dropped there or here must fail this file.
METHOD_COLUMNS = ("raw_attention", "rollout", "value_norms", "grad_rollout", "integrated_gradients", "gradient_x_input")


@pytest.fixture
def tsv(tmp_path):
    path = tmp_path / "in.tsv"
    path.write_text("sentence\tlabel\n" + "\n".join(f"{t}\t{i % 2}" for i, t in enumerate(TEXTS)) + "\n", encoding="utf-8")
    return path


def _read(out) -> pa.Table:
    return pa.concat_tables(pq.read_table(p) for p in sorted(out.glob("*.parquet"))).sort_by("row_id")


def _check_rows_equal_scoreboard(table: pa.Table, model) -> None:
    frame = table.to_pandas()
    for row in frame.itertuples():
        board = attnviz.scoreboard(TEXTS[row.row_id], model=model)
        assert board.target == row.predicted
        for name, result in (*board.results.items(), ("random", board.random)):
            for metric in faithful.METRICS:
                got = getattr(row, faithful.column(metric, name))
                # Relative: a random tiny model moves its probabilities by only ~1e-5.
                assert got == pytest.approx(getattr(result, metric), rel=1e-6, abs=1e-12), (row.text, name, metric)
        assert pd.isna(row.faithfulness_error)


@pytest.mark.parametrize(
    "model_fixture", ["tiny_classifier", "tiny_encoder", "builtin_model"], ids=["classifier", "zero-shot", "built-in"]
)
def test_faithfulness_columns_equal_the_scoreboard_of_each_text(tmp_path, tsv, model_fixture, request):
    model = request.getfixturevalue(model_fixture)
    result = corpus.run(tsv, tmp_path / "out", text_column="sentence", model=model, batch_size=2, faithfulness=True)
    assert result.rows == len(TEXTS) and result.bad_rows == 0
    _check_rows_equal_scoreboard(_read(tmp_path / "out"), model)


def test_every_scoreboard_method_has_both_columns(tmp_path, tsv, tiny_classifier):
    corpus.run(tsv, tmp_path / "out", text_column="sentence", model=tiny_classifier, faithfulness=True, limit=2)
    names = set(_read(tmp_path / "out").schema.names)
    for method in (*METHOD_COLUMNS, "random"):
        assert {f"comprehensiveness_{method}", f"sufficiency_{method}"} <= names, method
    assert set(attnviz.scoreboard(TEXTS[0], model=tiny_classifier).results) == set(METHOD_COLUMNS)
    assert "faithfulness_error" in names


def test_faithfulness_summary_is_the_mean_of_the_columns(tmp_path, tsv, tiny_classifier):
    corpus.run(tsv, tmp_path / "out", text_column="sentence", model=tiny_classifier, faithfulness=True)
    frame = _read(tmp_path / "out").to_pandas()
    table = corpus.open_run(tmp_path / "out").faithfulness().set_index("method")
    assert list(table.index) == [faithful.TITLES[n] for n in (*METHOD_COLUMNS, "random")]
    rand_c, rand_s = frame["comprehensiveness_random"], frame["sufficiency_random"]
    for name in METHOD_COLUMNS:
        comp, suff = frame[f"comprehensiveness_{name}"], frame[f"sufficiency_{name}"]
        row = table.loc[faithful.TITLES[name]]
        assert row["comprehensiveness"] == pytest.approx(comp.mean())
        assert row["comprehensiveness_vs_random"] == pytest.approx((comp - rand_c).mean())
        assert row["sufficiency_vs_random"] == pytest.approx((suff - rand_s).mean())
        assert row["beats_random_comprehensiveness"] == pytest.approx((comp > rand_c).mean())
        assert row["beats_random_sufficiency"] == pytest.approx((suff < rand_s).mean())
        assert row["rows"] == len(TEXTS)
    only_cats = corpus.open_run(tmp_path / "out").faithfulness(corpus.Slice(search="cat"))
    assert only_cats["rows"].iloc[0] == 1


def test_a_row_whose_scoreboard_fails_keeps_its_prediction(tmp_path, tsv, tiny_classifier, monkeypatch):
    real = faithful.row_values

    def failing(text, loaded):
        if "cat" in text:
            raise InputError("no scoreboard for cats")
        return real(text, loaded)

    monkeypatch.setattr(faithful, "row_values", failing)
    result = corpus.run(tsv, tmp_path / "out", text_column="sentence", model=tiny_classifier, faithfulness=True)
    assert result.bad_rows == 0
    frame = _read(tmp_path / "out").to_pandas().set_index("text")
    cat = frame.loc["the cat sat on the mat ."]
    assert cat["faithfulness_error"] == "no scoreboard for cats" and cat["predicted"] in ("negative", "positive")
    assert np.isnan(cat["comprehensiveness_rollout"])
    assert corpus.open_run(tmp_path / "out").faithfulness()["rows"].iloc[0] == len(TEXTS) - 1


def test_faithfulness_refuses_a_causal_model(tmp_path, tsv, tiny_decoder):
    with pytest.raises(InputError, match="predicts classes"):
        corpus.run(tsv, tmp_path / "out", text_column="sentence", model=tiny_decoder, faithfulness=True)


def test_a_run_without_faithfulness_is_another_run(tmp_path, tsv, tiny_classifier):
    out = tmp_path / "out"
    plain = corpus.run(tsv, out, text_column="sentence", model=tiny_classifier, shard_rows=2)
    assert "comprehensiveness_rollout" not in _read(out).schema.names and corpus.open_run(out).faithfulness() is None
    with pytest.raises(InputError, match="faithfulness"):
        corpus.run(tsv, out, text_column="sentence", model=tiny_classifier, shard_rows=2, faithfulness=True)
    again = corpus.run(tsv, out, text_column="sentence", model=tiny_classifier, shard_rows=2)
    assert (again.processed, again.skipped_shards) == (0, plain.skipped_shards + 3)


def test_corpus_command_line_prints_and_writes_the_summary(tmp_path, tsv, tiny_classifier_dir, capsys):
    out = tmp_path / "o"
    args = ["--input", str(tsv), "--text-column", "sentence", "--out", str(out), "--model", str(tiny_classifier_dir)]
    assert main(args + ["--faithfulness"]) == 0
    printed = capsys.readouterr().out
    assert "Faithfulness over 5 rows" in printed and "Integrated gradients" in printed and "Most comprehensive:" in printed
    written = pd.read_csv(out / "faithfulness.csv")
    assert written["method"].tolist() == corpus.open_run(out).faithfulness()["method"].tolist()
    assert corpus.open_run(out).manifest["shard_rows"] == FAITHFULNESS_SHARD_ROWS
