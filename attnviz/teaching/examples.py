"""Ready-made examples for the worked example, the audit of the article's numbers, and the √d_k experiment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from attnviz.teaching.sdpa import ShapeError, dims, format_number, sdpa_steps, softmax

EXAMPLE_TITLES = {
    "clean": "1. A small example to work by hand",
    "article": "2. A tutorial's example as printed, and its errors",
    "single": "3. One query, one key",
    "sqrt_dk": "4. Why divide by √d_k?",
    "random": "Random whole numbers (with a seed)",
    "model": "From the real model: one head's own q, k, v",
}
EXAMPLE_IDS = tuple(EXAMPLE_TITLES)  # in the order the page offers them
# Where the audited example comes from, as far as anyone recorded it: no issue, commit or file names the article.
ARTICLE_SOURCE = (
    "These numbers are quoted, number by number, as printed in the tutorial article on attention that this project "
    "started from. Its title and address were not recorded, so the article is not named here: compare them with "
    "any copy you have."
)
MIN_TOKENS, MAX_TOKENS, MAX_DIMS = 2, 6, 8
SATURATION_DIMS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")
_WORDS = ("the", "cat", "sat", "on", "a", "mat")


@dataclass(frozen=True)
class Example:
    """Q float[tokens, d_k], K float[tokens, d_k], V float[tokens, d_v], a name per token and a note on it."""

    id: str
    tokens: tuple[str, ...]
    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    note: str = ""
    cell: tuple[int, int] = (1, 1)  # the cell worked out first: row 1 is the second query token


@dataclass(frozen=True)
class Claim:
    """Numbers as a text printed them: inputs and the results it says they give."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    scores: np.ndarray
    weights: np.ndarray
    output: np.ndarray


@dataclass(frozen=True)
class Finding:
    """One check of a claim; ``matrix`` is the number that shows the problem (or the match)."""

    id: str
    ok: bool
    title: str
    detail: str
    matrix: np.ndarray | None = None


@dataclass(frozen=True)
class Saturation:
    """Mean largest softmax weight of a row (1 = one-hot) for random N(0, 1) queries and keys of each d_k."""

    dims: tuple[int, ...]
    scaled: np.ndarray  # float64[len(dims)]
    unscaled: np.ndarray  # float64[len(dims)]
    n_keys: int


def example(example_id: str, seed: int = 0, d_k: int = 64) -> Example:
    """The toy example called ``example_id``; ``seed`` drives "random" and "sqrt_dk", ``d_k`` the latter."""
    if example_id == "clean":
        return clean_example()
    if example_id == "article":
        return article_fixed()
    if example_id == "single":
        return Example(
            "single", ("cat",), _m([[3, -1]]), _m([[2, 5]]), _m([[4, 7]]),
            "With one key the softmax has a single number to normalise: e^x / e^x = 1, whatever the score. So "
            "the weight is always 1 and the output is exactly that key's value. Edit Q or K: the weight stays 1.",
            cell=(0, 0),
        )
    if example_id == "sqrt_dk":
        return sqrt_dk_example(d_k, seed)
    if example_id == "random":
        return random_example(seed)
    raise ValueError(f"Unknown example '{example_id}'; choose one of {', '.join(EXAMPLE_IDS[:-1])}.")


def clean_example() -> Example:
    """3 tokens, d_k = 4: the scores are whole numbers and √4 = 2, so the scaled scores are halves."""
    return Example(
        "clean", ("the", "cat", "sat"),
        _m([[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]),
        _m([[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0]]),
        _m([[2, 0], [0, 2], [1, 1]]),
        "Small whole numbers: every score is a whole number and √d_k = √4 = 2. Look at the last row: equal "
        "scores give equal weights (1/3 each), and the output is then the plain average of the rows of V.",
    )


def article_claim() -> Claim:
    """The example as printed in the tutorial article this project started from (unnamed: see ARTICLE_SOURCE)."""
    return Claim(
        q=_m([[1, 2, 3], [4, 5, 6]]), k=_m([[7, 8], [9, 10]]), v=_m([[11, 12], [13, 14]]),
        scores=_m([[19, 29], [43, 65]]),
        weights=_m([[0.4545, 0.5455], [0.3636, 0.1818]]),
        output=_m([[7.7273, 9.0909], [4.5455, 2.7273]]),
    )


def article_fixed() -> Example:
    """The printed example's Q and V with K given a third column, so that QKᵀ exists."""
    claim = article_claim()
    return Example(
        "article", ("A", "B"), claim.q, _m([[7, 8, 9], [10, 11, 12]]), claim.v,
        "The tutorial's Q and V as printed, with K given a third column so that QKᵀ exists: "
        "K = [[7, 8, 9], [10, 11, 12]]. The scores are large (up to 167), so even after dividing by √3 the "
        "softmax puts almost all the weight on one key, and the output is almost exactly the second row of V.",
        cell=(1, 0),
    )


def random_example(seed: int, n_tokens: int = 3, d_k: int = 4, d_v: int = 2) -> Example:
    """Whole numbers from −3 to 3, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    q, k, v = (rng.integers(-3, 4, size=(n_tokens, n)).astype(np.float64) for n in (d_k, d_k, d_v))
    return Example("random", _WORDS[:n_tokens], q, k, v, f"Random whole numbers from −3 to 3 (seed {seed}).")


def sqrt_dk_example(d_k: int, seed: int = 0, n_tokens: int = 4) -> Example:
    """Queries and keys with independent N(0, 1) entries: their dot products have variance d_k."""
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((n_tokens, n)) for n in (d_k, d_k, 2))
    return Example(
        "sqrt_dk", ("the", "cat", "sat", "down")[:n_tokens], q, k, v,
        f"Random numbers from a normal distribution (mean 0, variance 1, seed {seed}). A dot product of two such "
        f"vectors adds up d_k products, so its variance is d_k = {d_k}; dividing by √d_k = "
        f"{format_number(d_k ** 0.5)} brings it back to 1. Switch the scaling off and raise d_k: the weights "
        "turn one-hot (one key gets nearly everything).",
    )


def saturation(dims: Sequence[int] = SATURATION_DIMS, seed: int = 0, n_keys: int = 4, trials: int = 400) -> Saturation:
    """Mean largest weight per row with and without the √d_k scaling, for each d_k in ``dims``."""
    rng = np.random.default_rng(seed)
    scaled, unscaled = [], []
    for d in dims:
        q = rng.standard_normal((trials, 1, d))
        k = rng.standard_normal((trials, n_keys, d))
        scores = (q @ k.transpose(0, 2, 1))[:, 0, :]  # [trials, keys]
        unscaled.append(softmax(scores).max(axis=1).mean())
        scaled.append(softmax(scores / np.sqrt(d)).max(axis=1).mean())
    return Saturation(tuple(int(d) for d in dims), np.array(scaled), np.array(unscaled), n_keys)


def audit(claim: Claim, tolerance: float = 5e-4) -> tuple[Finding, ...]:
    """Check a claim: can QKᵀ be computed, do the weight rows sum to 1, is the output the weights times V?"""
    findings = [_shapes(claim)]
    sums = claim.weights.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > tolerance)
    if len(bad):
        i = int(bad[0])
        row = " + ".join(format_number(x, 4) for x in claim.weights[i])
        findings.append(Finding(
            "row_sums", False, f"The {_ordinal(i)} row of the weights does not add up to 1",
            f"Softmax weights add up to 1 in every row, but the {_ordinal(i)} row gives {row} = "
            f"{format_number(sums[i], 4)}.", sums,
        ))
    else:
        findings.append(Finding("row_sums", True, "Every row of the weights adds up to 1", "As softmax weights must.",
                                sums))
    if claim.weights.shape[1] != claim.v.shape[0]:
        findings.append(Finding("output", False, "The weights cannot multiply V",
                                f"The weights are {dims(claim.weights)} and V is {dims(claim.v)}."))
        return tuple(findings)
    product = claim.weights @ claim.v
    if product.shape == claim.output.shape and np.allclose(product, claim.output, atol=tolerance * 10):
        findings.append(Finding("output", True, "The output is the weights times V", "It matches.", product))
        return tuple(findings)
    first = " + ".join(f"{format_number(w, 4)}·{format_number(x, 4)}" for w, x in zip(claim.weights[0], claim.v[:, 0]))
    low, high = claim.v.min(axis=0), claim.v.max(axis=0)
    ranges = " and ".join(f"{format_number(a)} to {format_number(b)}" for a, b in zip(low, high))
    findings.append(Finding(
        "output", False, "The output is not the weights times V",
        f"Multiplying the claimed weights by V gives {_rows(product, 3)}, not the claimed output "
        f"{_rows(claim.output, 4)}. For example output[0,0] = {first} = {format_number(product[0, 0])}. With true "
        f"softmax weights (positive, adding up to 1) each output column would lie between the smallest and largest "
        f"value in that column of V ({ranges}), which the claimed output does not.", product,
    ))
    return tuple(findings)


def parse_choice(raw: object, choices: Sequence[str], default: str | None = None) -> str:
    """A URL value if it names one of ``choices``, else ``default`` (or the first choice): never raises."""
    value = raw[0] if isinstance(raw, (list, tuple)) and raw else raw
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    return default if default in choices else choices[0]


def resize(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``a`` cut or zero-padded to rows×cols (used when the user changes the number of tokens or d_k)."""
    out = np.zeros((rows, cols))
    r, c = min(rows, a.shape[0]), min(cols, a.shape[1])
    out[:r, :c] = a[:r, :c]
    return out


def token_names(text: str, n: int) -> tuple[str, ...]:
    """``n`` names from comma-separated ``text``; blanks and missing ones become t0, t1, ..."""
    given = [t.strip()[:20] for t in (text or "").split(",")]
    return tuple(given[i] if i < len(given) and given[i] else f"t{i}" for i in range(n))


def _shapes(claim: Claim) -> Finding:
    try:
        steps = sdpa_steps(claim.q, claim.k, claim.v)
    except ShapeError as exc:
        d = min(claim.q.shape[1], claim.k.shape[1])
        cut = claim.q[:, :d] @ claim.k[:, :d].T
        return Finding(
            "shapes", False, "QKᵀ is undefined",
            f"{exc} Each row of Q has {claim.q.shape[1]} numbers and each row of K has {claim.k.shape[1]}, so a "
            f"query and a key cannot be multiplied number by number: the claimed scores {_rows(claim.scores, 4)} "
            f"cannot come from these matrices. (Even using only the first {d} columns of both, QKᵀ would be "
            f"{_rows(cut, 4)}.)", None,
        )
    ok = steps.scores.shape == claim.scores.shape and bool(np.allclose(steps.scores, claim.scores))
    return Finding("shapes", ok, "QKᵀ matches" if ok else "QKᵀ is wrong",
                   "The claimed scores are the dot products." if ok else f"QKᵀ is {_rows(steps.scores, 4)}.",
                   steps.scores)


def _ordinal(i: int) -> str:
    return _ORDINALS[i] if i < len(_ORDINALS) else f"#{i + 1}"


def _rows(a: np.ndarray, decimals: int) -> str:
    return "[" + ", ".join("[" + ", ".join(format_number(x, decimals) for x in r) + "]" for r in a) + "]"


def _m(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float64)
