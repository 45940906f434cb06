"""Score a model on a labelled file: accuracy, precision, recall, F1 and the confusion matrix.

    python -m attnviz.evaluate --data ../shared/data/sst2/dev.tsv          # the built-in classifier
    python -m attnviz.evaluate --data dev.tsv --model "all-MiniLM-L6-v2 zero-shot (built-in)"
    python -m attnviz.evaluate --data dev.tsv --model path/to/model --label-names negative,positive

The file has a header and two columns, ``sentence`` and ``label`` (tab-separated for .tsv, comma for .csv);
a label is a name or an index into ``--label-names``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from attnviz.errors import AttnvizError, InputError

DEFAULT_LABEL_NAMES = ("negative", "positive")
_TEXT_COLUMNS = ("sentence", "text")


@dataclass(frozen=True)
class Metrics:
    """Scores of predictions against gold labels. ``confusion[true, predicted]`` counts, in ``labels`` order.

    ``precision``/``recall``/``f1`` are those of ``positive_label`` for two labels, else macro averages.
    """

    labels: tuple[str, ...]
    n: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    confusion: tuple[tuple[int, ...], ...]
    positive_label: str | None


def read_labelled(path: str | Path, label_names: Sequence[str] = DEFAULT_LABEL_NAMES) -> tuple[list[str], list[str]]:
    """(texts, label names) from a ``sentence<TAB>label`` file with a header; integer labels index ``label_names``."""
    path = Path(path)
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    with path.open(encoding="utf-8", newline="") as f:
        # SST-2 text contains quote characters that are not CSV quoting.
        reader = csv.reader(f, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE)
        header = [h.strip().lower() for h in next(reader, [])]
        text_col = next((header.index(c) for c in _TEXT_COLUMNS if c in header), None)
        if text_col is None or "label" not in header:
            raise InputError(f"{path} needs a header with a 'sentence' (or 'text') column and a 'label' column.")
        label_col = header.index("label")
        texts, labels = [], []
        for line_no, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(text_col, label_col):
                raise InputError(f"{path}, line {line_no}: expected {len(header)} columns, found {len(row)}.")
            texts.append(row[text_col])
            labels.append(_label_name(row[label_col].strip(), label_names, f"{path}, line {line_no}"))
    if not texts:
        raise InputError(f"{path} has no labelled rows.")
    return texts, labels


def _label_name(value: str, label_names: Sequence[str], where: str) -> str:
    if value.lstrip("-").isdigit():
        index = int(value)
        if not 0 <= index < len(label_names):
            raise InputError(f"{where}: label {index} is not an index into the label names {list(label_names)}.")
        return label_names[index]
    if not value:
        raise InputError(f"{where}: empty label.")
    return value


def compute_metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Metrics:
    """Pure: scores of ``predicted`` against ``gold``; for two labels the second one counts as positive."""
    if len(gold) != len(predicted) or not gold:
        raise ValueError(f"Need equally many gold and predicted labels, got {len(gold)} and {len(predicted)}.")
    order = list(labels) + sorted((set(gold) | set(predicted)) - set(labels))
    index = {name: i for i, name in enumerate(order)}
    confusion = np.zeros((len(order), len(order)), dtype=np.int64)
    for g, p in zip(gold, predicted):
        confusion[index[g], index[p]] += 1
    tp = np.diag(confusion).astype(np.float64)
    precision = np.divide(tp, confusion.sum(axis=0), out=np.zeros_like(tp), where=confusion.sum(axis=0) > 0)
    recall = np.divide(tp, confusion.sum(axis=1), out=np.zeros_like(tp), where=confusion.sum(axis=1) > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(tp), where=denominator > 0)
    binary = len(order) == 2
    pick = (lambda v: float(v[1])) if binary else (lambda v: float(v.mean()))
    return Metrics(
        labels=tuple(order),
        n=len(gold),
        accuracy=float(tp.sum() / len(gold)),
        precision=pick(precision),
        recall=pick(recall),
        f1=pick(f1),
        confusion=tuple(tuple(int(c) for c in row) for row in confusion),
        positive_label=order[1] if binary else None,
    )


def predict(loaded: Any, texts: Sequence[str], batch_size: int = 32, max_length: int = 128) -> tuple[list[str], int]:
    """(predicted label of each text, how many texts were cut to ``max_length`` tokens).

    Classifiers use their head; encoders the app's zero-shot labels (mean-pooled embedding against descriptions).
    """
    import torch

    from attnviz import classification
    from attnviz.analysis import label_embeddings

    names, centres = tuple(loaded.labels), None
    if loaded.kind == "encoder":
        labels = label_embeddings(loaded, classification.DEFAULT_LABELS)
        names, centres = tuple(labels), classification.label_centres(labels)
    elif loaded.kind != "classifier":
        raise InputError(f"Cannot score a {loaded.kind} model: choose a classifier or an encoder.")
    limit = min(max_length, loaded.max_tokens)
    truncated = sum(len(ids) > limit for ids in loaded.tokenizer(list(texts))["input_ids"])
    out: list[str] = []
    with loaded.gate.hold(), torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = loaded.tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=limit,
                return_tensors="pt",
            ).to(loaded.device)
            result = loaded.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            if centres is None:
                scores = result.logits
            else:
                scores = classification.zero_shot_logits(result.last_hidden_state, batch["attention_mask"], centres)
            out.extend(names[i] for i in scores.argmax(dim=-1).tolist())
    return out, truncated


def evaluate(
    loaded: Any, path: str | Path, label_names: Sequence[str] = DEFAULT_LABEL_NAMES, **kwargs: Any
) -> tuple[Metrics, int]:
    """(metrics of ``loaded`` on the labelled file ``path``, number of texts truncated); kwargs go to ``predict``."""
    texts, gold = read_labelled(path, label_names)
    predicted, truncated = predict(loaded, texts, **kwargs)
    return compute_metrics(gold, predicted, label_names), truncated


def format_metrics(m: Metrics) -> str:
    """Human-readable report: the scores, then the confusion matrix (rows: true label, columns: predicted)."""
    which = f"of '{m.positive_label}'" if m.positive_label else "macro-averaged"
    lines = [
        f"examples   {m.n}",
        f"accuracy   {m.accuracy:.4f}",
        f"precision  {m.precision:.4f}  ({which})",
        f"recall     {m.recall:.4f}",
        f"f1         {m.f1:.4f}",
        "",
        "confusion matrix (rows: true, columns: predicted)",
    ]
    width = max(8, *(len(label) for label in m.labels)) + 2
    lines.append(" " * width + "".join(label.rjust(width) for label in m.labels))
    for label, row in zip(m.labels, m.confusion):
        lines.append(label.ljust(width) + "".join(str(c).rjust(width) for c in row))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from attnviz.loading import BUILTIN_NAME, load_model

    parser = argparse.ArgumentParser(prog="python -m attnviz.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="labelled .tsv or .csv file with 'sentence' and 'label' columns")
    parser.add_argument("--model", default=BUILTIN_NAME, help="model name, local folder or attnviz.train output")
    parser.add_argument("--label-names", default=",".join(DEFAULT_LABEL_NAMES), help="names of labels 0, 1, ...")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128, help="longer texts are truncated to this many tokens")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    names = tuple(n.strip() for n in args.label_names.split(",") if n.strip())
    try:
        loaded = load_model(args.model, trusted_folder=True)
        metrics, truncated = evaluate(loaded, args.data, names, batch_size=args.batch_size, max_length=args.max_length)
    except (AttnvizError, OSError) as exc:  # a message for the user, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        report = {"model": loaded.name, "data": str(args.data), "truncated": truncated, **asdict(metrics)}
        print(json.dumps(report, indent=2))
    else:
        print(f"model      {loaded.name}\ndata       {args.data}\ntruncated  {truncated} texts to {args.max_length} tokens")
        print(format_metrics(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
