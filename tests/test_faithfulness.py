"""Faithfulness by deletion: bin sizes, ranking ties, a hand-built classifier with a known answer, batching."""

from types import SimpleNamespace

import numpy as np
import pytest

import attnviz
from attnviz.errors import AttnvizError, InputError
from attnviz.faithfulness import bin_sizes, deletions, faithfulness_many, random_scores, ranking
from attnviz.loading import LoadedModel
from attnviz.scoreboard import METHODS, scoreboard

WORD = "good"


class OneWordClassifier:
    """Logits (0, 4 × number of "good" tokens): the prediction depends on that one token and nothing else."""

    def __init__(self, word_id: int):
        self.word_id = word_id
        self.config = SimpleNamespace(num_hidden_layers=1, num_attention_heads=1)

    def __call__(self, input_ids, attention_mask=None, return_dict=True, **_):
        import torch

        count = (input_ids == self.word_id).sum(dim=-1).double()  # [B]
        return SimpleNamespace(logits=torch.stack([torch.zeros_like(count), 4.0 * count], dim=-1))


@pytest.fixture(scope="module")
def one_word(tiny_classifier):
    tokenizer = tiny_classifier.tokenizer
    model = OneWordClassifier(tokenizer.convert_tokens_to_ids(WORD))
    return LoadedModel("one word", model, tokenizer, "classifier", "cpu", 64, ("negative", "positive"))


def _word_first(loaded, text):
    ids = loaded.tokenizer(text)["input_ids"]
    return np.array([1.0 if i == loaded.model.word_id else 0.0 for i in ids])


@pytest.mark.parametrize(
    ("n", "expected"), [(17, (1, 1, 2, 4, 9)), (1, (1, 1, 1, 1, 1)), (200, (2, 10, 20, 40, 100))], ids=["17", "1", "200"]
)
def test_bin_sizes_are_ceil_of_the_percentage_and_at_least_one(n, expected):
    assert bin_sizes(n, (1, 5, 10, 20, 50)) == expected


@pytest.mark.parametrize("bins", [(), (0,), (101,), (2.5,)], ids=["empty", "zero", "over", "float"])
def test_bin_sizes_reject_bad_bins(bins):
    with pytest.raises(InputError):
        bin_sizes(10, bins)


def test_ranking_skips_special_tokens_and_breaks_ties_by_position():
    special = np.array([True, False, False, False, False, True])
    order = ranking(np.array([9.0, 0.5, 1.0, 1.0, 0.5, 9.0]), special)
    assert order.tolist() == [2, 3, 1, 4]


def test_ranking_rejects_wrong_length_and_nan():
    special = np.array([True, False, True])
    with pytest.raises(InputError):
        ranking(np.zeros(2), special)
    with pytest.raises(InputError):
        ranking(np.array([0.0, np.nan, 0.0]), special)


def test_deletions_keep_special_tokens_in_place():
    ids = [101, 7, 8, 9, 102]
    special = np.array([True, False, False, False, True])
    without, only = deletions(ids, special, np.array([3, 1, 2]), (1, 2))
    assert without == [(101, 7, 8, 102), (101, 8, 102)]
    assert only == [(101, 9, 102), (101, 7, 9, 102)]


def test_one_word_classifier_known_answer(one_word):
    text = "the film was good and the cat sat on the mat"
    result = attnviz.faithfulness(text, _word_first(one_word, text), model=one_word)
    p_full = 1 / (1 + np.exp(-4.0))
    assert result.target == "positive" and result.p_full == pytest.approx(p_full)
    # "good" is deleted in every bin: the logits tie, p = 0.5; kept alone it decides on its own, p unchanged.
    np.testing.assert_allclose(result.p_without, 0.5)
    np.testing.assert_allclose(result.p_only, p_full)
    assert result.comprehensiveness == pytest.approx(p_full - 0.5)
    assert result.sufficiency == pytest.approx(0.0, abs=1e-12)


def test_the_right_token_first_beats_the_random_ranking(one_word):
    text = "the film was good and the cat sat on the mat"
    scores = {"word first": _word_first(one_word, text)}
    n = len(one_word.tokenizer(text)["input_ids"])
    fake_tokens = [SimpleNamespace(special=i in (0, n - 1)) for i in range(n)]
    scores |= {f"r{s}": random_scores(fake_tokens, s) for s in range(5)}
    scores["word last"] = 1.0 - scores["word first"]
    found = faithfulness_many(text, scores, model=one_word)
    random_comp = np.mean([found[f"r{s}"].comprehensiveness for s in range(5)])
    random_suff = np.mean([found[f"r{s}"].sufficiency for s in range(5)])
    assert found["word first"].comprehensiveness > random_comp > found["word last"].comprehensiveness
    assert found["word first"].sufficiency < random_suff


def test_batched_probabilities_equal_one_forward_per_deleted_text(tiny_classifier):
    import torch

    text = "the film was not good , i love the movie"
    scores = np.linspace(0.0, 1.0, len(tiny_classifier.tokenizer(text)["input_ids"]))
    result = attnviz.faithfulness(text, scores, target="negative", model=tiny_classifier, bins=(10, 50))
    special = np.array([t.special for t in result.tokens])
    ids = [int(i) for i in tiny_classifier.tokenizer(text)["input_ids"]]
    without, only = deletions(ids, special, ranking(scores, special), result.removed)

    def p(seq):
        with torch.no_grad():
            logits = tiny_classifier.model(input_ids=torch.tensor([seq])).logits[0]
        return float(torch.softmax(logits.double(), -1)[0])

    assert result.removed == (1, 5)
    assert result.p_full == pytest.approx(p(ids), abs=1e-6)
    np.testing.assert_allclose(result.p_without, [p(s) for s in without], atol=1e-6)
    np.testing.assert_allclose(result.p_only, [p(s) for s in only], atol=1e-6)


def test_faithfulness_on_zero_shot_encoder(tiny_encoder):
    text = "the cat sat on the mat"
    n = len(tiny_encoder.tokenizer(text)["input_ids"])
    result = attnviz.faithfulness(text, np.arange(n, dtype=float), model=tiny_encoder)
    assert result.target in ("positive", "negative") and 0.0 < result.p_full < 1.0
    assert result.p_without.shape == (5,) and np.isfinite(result.p_only).all()


def test_scoreboard_rows_and_random_baseline(tiny_classifier):
    text = "the film was not good"
    board = scoreboard(text, target="positive", model=tiny_classifier)
    assert list(board.results) == list(METHODS) and board.target == "positive"
    rows = board.rows()
    assert [r["method"] for r in rows] == list(METHODS.values())
    tokens = board.random.tokens
    by_hand = [attnviz.faithfulness(text, random_scores(tokens, s), "positive", tiny_classifier) for s in range(5)]
    assert board.random.comprehensiveness == pytest.approx(np.mean([r.comprehensiveness for r in by_hand]), abs=1e-6)
    assert board.random.sufficiency == pytest.approx(np.mean([r.sufficiency for r in by_hand]), abs=1e-6)
    first = rows[0]
    assert first["comprehensiveness_vs_random"] == pytest.approx(
        first["comprehensiveness"] - board.random.comprehensiveness
    )


def test_faithfulness_needs_classes(tiny_classifier):
    causal = LoadedModel("lm", tiny_classifier.model, tiny_classifier.tokenizer, "causal", "cpu", 64)
    with pytest.raises(AttnvizError):
        attnviz.faithfulness("the cat", np.zeros(4), model=causal)

