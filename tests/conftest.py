"""Shared fixtures: tiny BERT models built in code and saved to disk, loaded through the real loader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_VOCAB = (
    "[PAD] [UNK] [CLS] [SEP] [MASK] the a cat dog sat on mat film was good not bad "
    "movie great i love it , . ! ? is and of to ##s ##ing ##ed 我 爱 学 习 编 程 < > b / href = "
    "script alert x 1 2 3 play run"
).split()


@pytest.fixture(scope="session", autouse=True)
def _model_root(tmp_path_factory):
    """Folders under pytest's temporary root may be loaded, as a host allows its model folder in production."""
    os.environ["ATTNVIZ_MODEL_ROOT"] = str(tmp_path_factory.getbasetemp())
    yield


def _write_tiny(path: Path, kind: str, seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast

    torch.manual_seed(seed)
    path.mkdir(parents=True, exist_ok=True)
    (path / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    config = BertConfig(
        vocab_size=len(TINY_VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        id2label={0: "negative", 1: "positive"},
        label2id={"negative": 0, "positive": 1},
    )
    model = BertForSequenceClassification(config) if kind == "classifier" else BertModel(config)
    model.save_pretrained(path, safe_serialization=True)
    BertTokenizerFast(str(path / "vocab.txt"), do_lower_case=True).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_classifier_dir(tmp_path_factory) -> Path:
    """A 2-layer, 4-head BERT sequence classifier (labels negative/positive), max 64 positions."""
    return _write_tiny(tmp_path_factory.mktemp("tiny_classifier"), "classifier")


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory) -> Path:
    """A 2-layer, 4-head bare BERT encoder (zero-shot path)."""
    return _write_tiny(tmp_path_factory.mktemp("tiny_encoder"), "encoder", seed=1)


@pytest.fixture(scope="session")
def tiny_classifier(tiny_classifier_dir):
    import attnviz

    return attnviz.load_model(str(tiny_classifier_dir))


@pytest.fixture(scope="session")
def tiny_encoder(tiny_encoder_dir):
    import attnviz

    return attnviz.load_model(str(tiny_encoder_dir))


@pytest.fixture(scope="session")
def builtin_model():
    """The default built-in model: the packaged all-MiniLM-L6-v2 with the trained sentiment head (once per session).

    The very copy ``attnviz.analyze(text)`` uses by default, so a test of the default never loads a second one.
    """
    from attnviz.analysis import _resolve

    return _resolve(None)


@pytest.fixture(scope="session")
def builtin_zero_shot():
    """The packaged all-MiniLM-L6-v2 as a bare encoder: zero-shot labels (once per session)."""
    import attnviz

    return attnviz.load_model(attnviz.BUILTIN_ZERO_SHOT_NAME)


@pytest.fixture
def fresh_caches():
    """Streamlit's caches are process-wide: every page test starts from empty ones."""
    import streamlit as st

    from attnviz.ui.cache import clear_caches

    clear_caches()
    st.cache_data.clear()
    yield


@pytest.fixture(scope="session", params=["llama", "gpt2"])
def tiny_decoder(request, tmp_path_factory):
    """A 2-layer random causal LM (Llama with grouped key/value heads, or GPT-2) loaded through the real loader."""
    import attnviz
    from tests.decoders import write_tiny_decoder

    return attnviz.load_model(str(write_tiny_decoder(tmp_path_factory.mktemp(f"tiny_{request.param}"), request.param)))


@pytest.fixture(scope="session")
def smollm2():
    """The built-in SmolLM2-135M; its GGUF is converted at most once (then cached in the user cache folder)."""
    import attnviz

    return attnviz.load_model("smollm2")


@pytest.fixture(scope="session")
def tiny_bart_dir(tmp_path_factory) -> Path:
    """A random 2+2-layer BART (encoder–decoder) and its tokenizer, saved with save_pretrained."""
    from tests.decoders import write_tiny_seq2seq

    return write_tiny_seq2seq(tmp_path_factory.mktemp("tiny_bart"), "bart")
