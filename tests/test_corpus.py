"""Corpus mode, local engine: a row's statistics are analyze's, metrics are evaluate's, reruns resume, bad rows stay."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import attnviz
from attnviz import corpus
from attnviz.corpus.__main__ import main
from attnviz.corpus.stats import HEAD_STATS, batch_statistics, key_masks
from attnviz.errors import InputError
from attnviz.evaluate import evaluate
from attnviz.head_stats import attention_statistics
from attnviz.types import Token

DEV = "/work/shared/data/sst2/dev.tsv"
TEXTS = (
    "the film was good .",
    "a",
    "it 's a charming and often affecting journey , really !",
    "not good , not bad , just a movie that was i love it ? ! the dog sat on the mat",
    "the cat sat on the mat .",
)


def _tsv(path, rows, header="sentence\tlabel"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny_tsv(tmp_path):
    return _tsv(tmp_path / "tiny.tsv", [f"{t}\t{i % 2}" for i, t in enumerate(TEXTS + TEXTS[::-1])])


def _read(out, columns=None) -> pa.Table:
    return pa.concat_tables(pq.read_table(p, columns=columns) for p in sorted(out.glob("*.parquet")))


def _softmax_rows(rng, shape):
    x = np.exp(rng.normal(size=shape) * 3)
    return (x / x.sum(axis=-1, keepdims=True)).astype(np.float32)


def pad_attentions(per_text: Sequence[np.ndarray]) -> np.ndarray:
    """float32[B, L, H, T, T] from one float[L, H, n_i, n_i] per text, zeros beyond each text's n_i."""
    width = max(a.shape[-1] for a in per_text)
    n_layers, n_heads = per_text[0].shape[:2]
    out = np.zeros((len(per_text), n_layers, n_heads, width, width), dtype=np.float32)
    for row, att in enumerate(per_text):
        n = att.shape[-1]
        out[row, :, :, :n, :n] = att
    return out


@pytest.mark.parametrize("lengths", [(1, 5, 3), (7, 7), (2, 9, 4, 1)], ids=["with-one-token", "equal", "mixed"])
def test_batch_statistics_padding_changes_nothing(lengths):
    rng = np.random.default_rng(len(lengths))
    per_text = [_softmax_rows(rng, (2, 3, n, n)) for n in lengths]
    tokens = [tuple(Token("[CLS]" if i == 0 else ("," if i % 3 == 2 else "w"), None, None, i == 0) for i in range(n)) for n in lengths]
    att = pad_attentions(per_text)
    special, punct = key_masks(tokens, att.shape[-1])
    got = batch_statistics(att, np.array(lengths), special, punct)
    for row, (a, toks) in enumerate(zip(per_text, tokens)):
        ref = attention_statistics(a, toks)
        for name in HEAD_STATS:
            np.testing.assert_allclose(got[name][row], getattr(ref, name), rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(got["first_token"][row], a[..., 0].mean(axis=-1), rtol=1e-5, atol=1e-6)
        flat = a.reshape(2, 3, -1)
        np.testing.assert_array_equal(got["max_weight"][row], flat.max(axis=-1))
        where = flat.argmax(axis=-1)
        np.testing.assert_array_equal(got["max_query"][row], where // len(toks))
        np.testing.assert_array_equal(got["max_key"][row], where % len(toks))


def test_corpus_row_statistics_equal_head_statistics_of_analyze(tmp_path, tiny_tsv, builtin_model):
    result = corpus.run(tiny_tsv, tmp_path / "out", text_column="sentence", model=builtin_model, batch_size=4)
    assert result.rows == len(TEXTS) * 2 and result.bad_rows == 0
    c = corpus.open_run(tmp_path / "out")
    table = _read(tmp_path / "out").to_pandas().set_index("row_id")
    for row_id, text in enumerate(TEXTS + TEXTS[::-1]):
        single = attnviz.analyze(text, builtin_model)
        ref = attnviz.head_statistics(single)
        got = c.row_statistics(row_id)
        for name in HEAD_STATS:
            np.testing.assert_allclose(got[name], getattr(ref, name), rtol=1e-5, atol=1e-5, err_msg=f"{text}: {name}")
        np.testing.assert_allclose(got["first_token"], single.attentions[..., 0].mean(axis=-1), atol=1e-5)
        np.testing.assert_allclose(got["max_weight"], single.attentions.reshape(6, 12, -1).max(axis=-1), atol=1e-5)
        row = table.loc[row_id]
        assert row["predicted"] == single.prediction.top_label
        np.testing.assert_allclose(row["probs"], single.prediction.probs, atol=1e-5)
        assert list(row["tokens"]) == [t.text for t in single.tokens] and row["n_tokens"] == single.n_tokens


def test_corpus_metrics_equal_evaluate(tmp_path, builtin_model):
    lines = open(DEV, encoding="utf-8").read().splitlines()
    small = _tsv(tmp_path / "dev60.tsv", lines[1:61])
    corpus.run(small, tmp_path / "out", text_column="sentence", label_column="label", model=builtin_model)
    expected, _ = evaluate(builtin_model, small)
    assert corpus.open_run(tmp_path / "out").metrics() == expected


def test_corpus_resume_skips_done_shards(tmp_path, tiny_tsv, tiny_classifier):
    out = tmp_path / "out"
    seen = []
    first = corpus.run(tiny_tsv, out, text_column="sentence", model=tiny_classifier, shard_rows=4, progress=lambda d, t: seen.append((d, t)))
    assert first.processed == 10 and first.skipped_shards == 0
    assert seen[-1] == (10, 10) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    (out / "shard-00001.parquet").unlink()
    again = corpus.run(tiny_tsv, out, text_column="sentence", model=tiny_classifier, shard_rows=4)
    assert (again.processed, again.skipped_shards, again.rows) == (4, 2, 10)
    for name in ("shard-00000.parquet", "shard-00002.parquet"):
        assert (out / name).stat().st_mtime_ns == kept[name]
    ids = _read(out, ["row_id"]).column("row_id").to_pylist()
    assert sorted(ids) == list(range(10))


def test_corpus_refuses_an_output_folder_of_another_run(tmp_path, tiny_tsv, tiny_classifier):
    corpus.run(tiny_tsv, tmp_path / "out", text_column="sentence", model=tiny_classifier)
    with pytest.raises(InputError, match="text_column"):
        corpus.run(tiny_tsv, tmp_path / "out", text_column="label", model=tiny_classifier)


def test_corpus_records_bad_rows_and_keeps_going(tmp_path, tiny_classifier):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        b"text,label\n"
        b"the cat sat,1\n"
        b",0\n"  # empty
        b"\xff\xfe broken bytes,1\n"  # not UTF-8
        b"\"\xe2\x80\x8b\",0\n"  # only an invisible character
        b"too,many,columns\n"  # malformed line: skipped and reported
        b"the dog sat,0\n"
    )
    result = corpus.run(path, tmp_path / "out", model=tiny_classifier, label_column="label")
    assert (result.rows, result.bad_rows, result.malformed_lines) == (5, 3, 1)
    c = corpus.open_run(tmp_path / "out")
    bad = c.bad_rows()
    assert bad["row_id"].tolist() == [1, 2, 3]
    assert "UTF-8" in bad["error"].iloc[1] and "Enter some text" in bad["error"].iloc[0]
    assert c.counts() == {"rows": 5, "analysed": 2, "bad": 3}
    assert c.manifest["malformed_lines"][0]["line"] is None or c.manifest["malformed_lines"][0]["line"] >= 1
    assert c.metrics().n == 2


def test_corpus_reads_parquet_without_labels(tmp_path, tiny_classifier):
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"body": list(TEXTS), "other": list(range(len(TEXTS)))}), source)
    corpus.run(source, tmp_path / "out", text_column="body", model=tiny_classifier, limit=3)
    c = corpus.open_run(tmp_path / "out")
    assert c.counts()["rows"] == 3 and c.metrics() is None and not c.has_labels


def test_corpus_names_a_missing_column(tmp_path, tiny_tsv, tiny_classifier):
    with pytest.raises(InputError, match="no column 'text'"):
        corpus.run(tiny_tsv, tmp_path / "out", model=tiny_classifier)


def test_corpus_queries_top_k_and_slices(tmp_path, tiny_tsv, tiny_classifier):
    corpus.run(tiny_tsv, tmp_path / "out", text_column="sentence", label_column="label", model=tiny_classifier)
    c = corpus.open_run(tmp_path / "out")
    frame = _read(tmp_path / "out").to_pandas()
    values = frame["entropy"].map(lambda v: v[1 * 4 + 2])
    top = c.top_k("entropy", 1, 2, k=3)
    np.testing.assert_allclose(top["value"], np.sort(values.to_numpy())[::-1][:3], rtol=1e-6)
    low = c.top_k("entropy", 1, 2, k=2, lowest=True)
    assert low["value"].iloc[0] == pytest.approx(values.min())
    means = c.head_means("entropy", corpus.Slice(search="CAT"))
    cats = frame[frame["text"].str.contains("cat")]
    np.testing.assert_allclose(means.reshape(-1), np.stack(cats["entropy"]).mean(axis=0), rtol=1e-5)
    assert c.count(corpus.Slice(label="positive", max_tokens=5)) == int(((frame["label"] == "positive") & (frame["n_tokens"] <= 5)).sum())
    wrong = c.misclassified()
    assert (wrong["label"] != wrong["predicted"]).all() and list(wrong["confidence"]) == sorted(wrong["confidence"], reverse=True)
    with pytest.raises(InputError):
        c.top_k("entropy; DROP TABLE rows", 0, 0)


def test_corpus_command_line(tmp_path, tiny_tsv, tiny_classifier_dir, capsys):
    args = ["--input", str(tiny_tsv), "--text-column", "sentence", "--label-column", "label", "--out", str(tmp_path / "o")]
    assert main(args + ["--model", str(tiny_classifier_dir)]) == 0
    assert "10 rows" in capsys.readouterr().out
    assert main(args + ["--model", str(tiny_classifier_dir), "--text-column", "nope", "--out", str(tmp_path / "o2")]) == 2
    assert "no column 'nope'" in capsys.readouterr().err
    assert _read(tmp_path / "o").num_rows == 10


def test_a_long_error_is_cut_with_an_ellipsis_and_a_short_one_kept_whole():
    from attnviz.corpus.batch import ERROR_CHARS, error_text

    assert error_text(ValueError("bad row")) == "ValueError: bad row"
    long = error_text(RuntimeError("x" * 2000))
    assert len(long) == ERROR_CHARS and long.startswith("RuntimeError: xxx") and long.endswith("…")
