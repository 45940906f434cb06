import socket
import subprocess
import sys

import pytest

import attnviz
from attnviz.errors import ModelLoadError
from attnviz.loading import BUILTIN_NAME, BUILTIN_ZERO_SHOT_NAME, hub_reachable, model_kind, resolve_source


@pytest.mark.parametrize(
    ("architectures", "is_decoder", "expected"),
    [
        (["BertForSequenceClassification"], False, "classifier"),
        (["GPT2LMHeadModel"], False, "causal"),
        (["LlamaForCausalLM"], False, "causal"),
        (["BertModel"], False, "encoder"),
        (None, False, "encoder"),
        (["BertModel"], True, "causal"),
    ],
    ids=["classifier", "gpt2", "llama", "encoder", "no-architectures", "decoder-flag"],
)
def test_model_kind(architectures, is_decoder, expected):
    assert model_kind(architectures, is_decoder) == expected


def test_tiny_classifier_loads_eager_in_eval_mode(tiny_classifier):
    model = tiny_classifier
    assert model.kind == "classifier" and model.labels == ("negative", "positive")
    assert not model.model.training
    assert model.model.config._attn_implementation == "eager"
    assert (model.n_layers, model.n_heads, model.max_tokens) == (2, 4, 64)


def test_builtin_model_is_the_packaged_minilm_with_a_sentiment_head(builtin_model):
    assert builtin_model.name == BUILTIN_NAME
    assert builtin_model.kind == "classifier" and builtin_model.labels == ("negative", "positive")
    assert (builtin_model.n_layers, builtin_model.n_heads, builtin_model.max_tokens) == (6, 12, 512)
    assert not builtin_model.model.training


def test_builtin_zero_shot_is_the_bare_packaged_encoder(builtin_zero_shot):
    assert builtin_zero_shot.name == BUILTIN_ZERO_SHOT_NAME and builtin_zero_shot.kind == "encoder"
    assert (builtin_zero_shot.n_layers, builtin_zero_shot.n_heads) == (6, 12)
    assert builtin_zero_shot.model.config._attn_implementation == "eager" and not builtin_zero_shot.model.training


def test_builtin_loads_with_the_network_blocked(monkeypatch):
    """Offline means no connection attempt at all, not a quick failure."""

    def refuse(*args, **kwargs):
        raise AssertionError("the built-in models must not touch the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    for name in (None, BUILTIN_ZERO_SHOT_NAME):
        assert attnviz.load_model(name).n_layers == 6


@pytest.mark.parametrize("name", ["./no/such/folder", "/definitely/missing", "a/b/c", "x\x00y", "y" * 10_000],
                         ids=["relative", "absolute", "deep", "nul", "huge"])
def test_bad_local_paths_give_a_clear_error(name):
    with pytest.raises(ModelLoadError, match="built-in model"):
        attnviz.load_model(name)


def test_unknown_hub_model_offline_fails_fast_with_advice(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="runs offline.*not in the local Hugging Face cache.*built-in model"):
        attnviz.load_model("some-org/some-model-that-is-not-cached")


def test_hub_unreachable_is_detected_on_a_closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert not hub_reachable(f"http://127.0.0.1:{port}", timeout_s=1)


def test_hub_unreachable_message_names_what_to_do(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("attnviz.loading.hub_reachable", lambda *a, **k: False)
    with pytest.raises(ModelLoadError, match="Cannot reach the Hugging Face Hub.*built-in model"):
        attnviz.load_model("some-org/uncached-model")


@pytest.mark.parametrize(
    ("alias", "expected"),
    [(None, BUILTIN_NAME), ("", BUILTIN_NAME), (BUILTIN_NAME, BUILTIN_NAME), ("builtin", BUILTIN_NAME),
     (BUILTIN_ZERO_SHOT_NAME, BUILTIN_ZERO_SHOT_NAME), ("zero-shot", BUILTIN_ZERO_SHOT_NAME)],
    ids=["none", "empty", "name", "builtin", "zero-shot-name", "zero-shot"],
)
def test_resolve_source_builtin_aliases(alias, expected):
    assert resolve_source(alias)[0] == expected


def test_weights_without_safetensors_are_refused(tmp_path, tiny_classifier_dir):
    """Only model.safetensors is ever loaded: a folder with just a pickle checkpoint is refused."""
    import shutil

    folder = tmp_path / "pickled"
    shutil.copytree(tiny_classifier_dir, folder)
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(ModelLoadError):
        attnviz.load_model(str(folder))


def test_import_attnviz_leaves_streamlit_and_torch_out():
    code = "import sys, attnviz; print('streamlit' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_model_kind_of_an_encoder_decoder_is_seq2seq():
    assert model_kind(["BartForConditionalGeneration"], False, is_encoder_decoder=True) == "seq2seq"
    assert model_kind(["BartForConditionalGeneration"], False) == "encoder"
