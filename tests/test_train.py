"""attnviz.train: the batching helpers, and the whole script end to end on a few dozen rows."""

import json
from collections import Counter

import pytest
from safetensors.torch import load_file

import attnviz
from attnviz import builtin
from attnviz.train import choose_subset, length_batches, main, parse_args

ROWS = [
    ("a wonderful , moving film", 1), ("brilliant acting", 1), ("i loved it", 1), ("a delightful comedy", 1),
    ("great fun", 1), ("charming and warm", 1), ("the worst film of the year", 0), ("dull and tedious", 0),
    ("badly written", 0), ("a boring mess", 0), ("not good at all", 0), ("awful", 0),
] * 2


def test_choose_subset_is_seeded_and_without_repeats():
    first = choose_subset(100, 30, seed=1)
    assert first == choose_subset(100, 30, seed=1) and first != choose_subset(100, 30, seed=2)
    assert len(set(first)) == 30 and choose_subset(5, None, 0) != [] and sorted(choose_subset(5, None, 0)) == list(range(5))


def test_length_batches_cover_every_index_once_with_similar_lengths():
    lengths = [(i * 7) % 23 + 1 for i in range(200)]
    batches = length_batches(lengths, batch_size=8, seed=3, window=5)
    assert Counter(i for b in batches for i in b) == Counter(range(200))
    assert all(len(b) <= 8 for b in batches)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 6  # random batches of 8 from 1..23 spread about 15
    assert batches == length_batches(lengths, batch_size=8, seed=3, window=5)


def test_parse_args_rejects_one_label_name():
    with pytest.raises(SystemExit):
        parse_args(["--data", "x.tsv", "--label-names", "only"])


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train.tsv"
    path.write_text("sentence\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in ROWS), encoding="utf-8")
    return path


def _train(data, out, seed=5):
    args = ["--data", str(data), "--out", str(out), "--dev", str(data), "--limit", "16", "--batch-size", "8",
            "--layers", "1", "--seed", str(seed), "--threads", "1", "--no-progress"]
    assert main(args) == 0
    return json.loads((out / builtin.META_FILE).read_text())


def test_train_end_to_end_writes_a_loadable_classifier(tiny_data, tmp_path, capsys):
    meta = _train(tiny_data, tmp_path / "a")
    assert "dev accuracy" in capsys.readouterr().out
    assert meta["labels"] == ["negative", "positive"] and meta["training"]["steps"] == 2
    assert meta["training"]["examples"] == 16 and meta["dev"]["n"] == len(ROWS)
    names = {key.split("#")[0] for key in load_file(str(tmp_path / "a" / builtin.WEIGHTS_FILE))}
    assert names and all(n.startswith(("bert.encoder.layer.5.", "bert.pooler.", "classifier.")) for n in names)
    loaded = attnviz.load_model(str(tmp_path / "a"))
    assert loaded.kind == "classifier" and loaded.labels == ("negative", "positive")
    assert attnviz.analyze("a wonderful film", loaded).prediction.method == "classifier"


def test_train_same_seed_gives_the_same_weights(tiny_data, tmp_path):
    _train(tiny_data, tmp_path / "a", seed=9)
    _train(tiny_data, tmp_path / "b", seed=9)
    first = (tmp_path / "a" / builtin.WEIGHTS_FILE).read_bytes()
    assert first == (tmp_path / "b" / builtin.WEIGHTS_FILE).read_bytes()


def test_train_bad_layers_is_an_error_message(tiny_data, tmp_path, capsys):
    assert main(["--data", str(tiny_data), "--out", str(tmp_path / "x"), "--layers", "9", "--no-progress"]) == 2
    assert "--layers must be between 0 and 6" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
