"""attnviz.evaluate: metrics on hand-made examples with known answers, the file reader and the command line."""

import json

import pytest

from attnviz.errors import InputError
from attnviz.evaluate import compute_metrics, evaluate, format_metrics, main, read_labelled

LABELS = ("negative", "positive")


def test_compute_metrics_binary_hand_counted():
    # 3 true positives, 1 false negative, 2 false positives, 4 true negatives.
    gold = ["positive"] * 4 + ["negative"] * 6
    predicted = ["positive", "positive", "positive", "negative"] + ["positive", "positive"] + ["negative"] * 4
    m = compute_metrics(gold, predicted, LABELS)
    assert m.n == 10 and m.labels == LABELS and m.positive_label == "positive"
    assert m.confusion == ((4, 2), (1, 3))  # rows: true negative, true positive; columns: predicted
    assert m.accuracy == pytest.approx(7 / 10)
    assert m.precision == pytest.approx(3 / 5)
    assert m.recall == pytest.approx(3 / 4)
    assert m.f1 == pytest.approx(2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4))


def test_compute_metrics_never_predicting_positive_scores_zero_not_nan():
    m = compute_metrics(["positive", "negative"], ["negative", "negative"], LABELS)
    assert (m.accuracy, m.precision, m.recall, m.f1) == (0.5, 0.0, 0.0, 0.0)


def test_compute_metrics_three_labels_are_macro_averaged():
    m = compute_metrics(["a", "b", "c", "c"], ["a", "c", "c", "c"], ("a", "b", "c"))
    assert m.positive_label is None and m.accuracy == pytest.approx(0.75)
    # per-label recall: a 1, b 0, c 1 -> macro 2/3; precision: a 1, b 0, c 2/3 -> macro 5/9
    assert m.recall == pytest.approx(2 / 3) and m.precision == pytest.approx(5 / 9)


def test_compute_metrics_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        compute_metrics(["positive"], [], LABELS)


def test_format_metrics_shows_scores_and_matrix():
    text = format_metrics(compute_metrics(["positive", "negative"], ["positive", "positive"], LABELS))
    assert "accuracy   0.5000" in text and "rows: true, columns: predicted" in text
    assert text.splitlines()[-1].split() == ["positive", "0", "1"]


def test_read_labelled_keeps_quotes_and_maps_indices(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text('sentence\tlabel\nit \'s " good "\t1\na bad one\t0\n\n', encoding="utf-8")
    texts, labels = read_labelled(path)
    assert texts == ['it \'s " good "', "a bad one"] and labels == ["positive", "negative"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("text\tgold\nx\t1\n", "header"), ("sentence\tlabel\nx\t7\n", "not an index"), ("sentence\tlabel\n", "no labelled")],
    ids=["bad-header", "label-out-of-range", "empty"],
)
def test_read_labelled_bad_files_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_labelled(path)


def _dev_file(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text("sentence\tlabel\nthe film was good\t1\nthe film was bad\t0\nnot good\t0\n", encoding="utf-8")
    return path


def test_evaluate_a_classifier_counts_every_row(tiny_classifier, tmp_path):
    metrics, truncated = evaluate(tiny_classifier, _dev_file(tmp_path))
    assert metrics.n == 3 and truncated == 0 and sum(map(sum, metrics.confusion)) == 3


def test_evaluate_zero_shot_encoder_predicts_the_label_names(tiny_encoder, tmp_path):
    metrics, _ = evaluate(tiny_encoder, _dev_file(tmp_path))
    assert set(metrics.labels) == {"negative", "positive"} and metrics.n == 3


def test_evaluate_command_line_prints_json(tiny_classifier_dir, tmp_path, capsys):
    assert main(["--model", str(tiny_classifier_dir), "--data", str(_dev_file(tmp_path)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 3 and report["labels"] == ["negative", "positive"] and len(report["confusion"]) == 2
    assert 0.0 <= report["accuracy"] <= 1.0


@pytest.mark.parametrize("bad", ["model", "data"], ids=["missing-model", "missing-file"])
def test_evaluate_command_line_reports_errors_without_a_traceback(tiny_classifier_dir, tmp_path, capsys, bad):
    model = str(tmp_path / "no-such-model") if bad == "model" else str(tiny_classifier_dir)
    data = str(tmp_path / "missing.tsv") if bad == "data" else str(_dev_file(tmp_path))
    assert main(["--model", model, "--data", data]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
