import numpy as np
import pytest

from attnviz.head_types import detector_scores, head_types, induction_probe_text, patterns
from attnviz.types import Analysis, Token


def reference(att: np.ndarray, ids, kind: str) -> float:
    """TransformerLens's detector written out cell by cell for one head A[query, key]."""
    a = np.array(att, dtype=np.float64)
    a[:, 0] = 0.0
    np.fill_diagonal(a, 0.0)
    n = len(ids)
    p = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if kind == "previous_token":
                p[i, j] = j == i - 1
            elif kind == "duplicate_token":
                p[i, j] = j < i and ids[j] == ids[i]
            else:
                p[i, j] = 1 <= j < i and ids[j - 1] == ids[i]
    total = a.sum()
    return float((a * p).sum() / total) if total > 0 else 0.0


def rows(att):
    m = np.asarray(att, dtype=np.float64)
    return m / m.sum(axis=1, keepdims=True)


# ids: A B C A B C — the second A (pos 3) duplicates pos 0, its induction key is pos 1 (the B after the first A).
IDS = (7, 8, 9, 7, 8, 9)


def one_hot(targets):
    """Row i puts all its attention on key targets[i]."""
    n = len(targets)
    a = np.zeros((n, n))
    a[np.arange(n), targets] = 1.0
    return a


@pytest.mark.parametrize(
    ("att", "expected"),
    [
        # Every query looks at the token before it (query 0 at itself, which is excluded).
        (one_hot([0, 0, 1, 2, 3, 4]), {"previous_token": 1.0, "duplicate_token": 0.0, "induction": 0.0}),
        # Queries 4-5 look at their earlier copy, query 2 at its previous token (query 3's copy is BOS, excluded).
        (one_hot([0, 0, 1, 0, 1, 2]), {"previous_token": 1 / 3, "duplicate_token": 2 / 3, "induction": 0.0}),
        # Queries 3-5 look at the token after their earlier copy; query 2 at its previous token.
        (one_hot([0, 0, 1, 1, 2, 3]), {"previous_token": 0.25, "duplicate_token": 0.0, "induction": 0.75}),
        # All attention on BOS and the diagonal: nothing left, so every score is 0.
        (one_hot([0, 1, 2, 3, 4, 5]), {"previous_token": 0.0, "duplicate_token": 0.0, "induction": 0.0}),
    ],
    ids=["previous", "duplicate", "induction", "only-bos-and-self"],
)
def test_detector_scores_known_answers(att, expected):
    scores = detector_scores(att[None, None], IDS)
    for kind, value in expected.items():
        assert getattr(scores, kind)[0, 0] == pytest.approx(value)
        assert getattr(scores, kind)[0, 0] == pytest.approx(reference(att, IDS, kind))


def test_detector_scores_equal_reference_on_random_heads():
    rng = np.random.default_rng(3)
    ids = tuple(rng.integers(0, 4, size=9))
    att = np.stack([np.stack([rows(np.tril(rng.random((9, 9)))) for _ in range(3)]) for _ in range(2)])
    scores = detector_scores(att, ids)
    for kind in ("previous_token", "duplicate_token", "induction"):
        want = np.array([[reference(att[l, h], ids, kind) for h in range(3)] for l in range(2)])
        np.testing.assert_allclose(getattr(scores, kind), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scores.sink, att[:, :, 1:, 0].mean(axis=-1))


def test_sink_is_mean_attention_on_first_token_after_row_zero():
    att = rows(np.tril(np.ones((4, 4))))  # uniform causal: row i gives 1/(i+1) to key 0
    scores = detector_scores(att[None, None], (1, 2, 3, 4))
    assert scores.sink[0, 0] == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / 3)


def test_patterns_mark_only_earlier_keys():
    for p in patterns((1, 1, 1, 1)).values():
        assert np.triu(p).sum() == 0


def test_head_types_reads_token_ids_of_an_analysis():
    att = one_hot([0, 0, 1, 1, 2, 3])[None, None].astype(np.float32)
    tokens = tuple(Token(str(i), None, None, False) for i in IDS)
    a = Analysis("m", "t", tokens, att, None, False, 6, causal=True, input_ids=IDS)
    assert head_types(a).induction[0, 0] == pytest.approx(0.75)
    assert head_types(a).rows()[0]["induction"] == pytest.approx(0.75)


def test_detector_scores_rejects_mismatched_ids():
    with pytest.raises(ValueError):
        detector_scores(np.zeros((1, 1, 3, 3)), (1, 2))


def test_induction_probe_text_repeats_one_token_sequence(tiny_decoder):
    text = induction_probe_text(tiny_decoder.tokenizer, n_words=6, seed=1)
    words = text.split()
    n = len(words) // 2
    assert n >= 3 and words[:n] == words[n:]
    ids = tiny_decoder.tokenizer(text, add_special_tokens=False)["input_ids"]
    # Words 2..n are one token each in both halves (the first word lacks its leading space the first time).
    assert len(ids[-n:]) == n and ids[-(n - 1) :] == ids[-(2 * n - 1) : -n]
