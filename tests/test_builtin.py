"""The built-in sentiment classifier: int8 deltas, assembly over the packaged encoder, and its answers."""

import json
import shutil

import numpy as np
import pytest

import attnviz
from attnviz import builtin
from attnviz.errors import ModelLoadError
from attnviz.loading import builtin_model_dir

MAX_ARTEFACT_BYTES = 15_000_000


def test_quantised_delta_is_within_half_a_step_of_the_original():
    import torch

    torch.manual_seed(0)
    delta = torch.randn(8, 16) * torch.logspace(-5, -2, 8)[:, None]  # rows of very different size
    q, scale = builtin.quantise_delta(delta)
    assert q.dtype == torch.int8 and scale.shape == (8,)
    error = (builtin.dequantise_delta(q, scale) - delta).abs()
    assert bool((error <= scale[:, None] / 2 + 1e-12).all())


def test_quantise_zero_delta_stays_zero():
    import torch

    q, scale = builtin.quantise_delta(torch.zeros(3, 4))
    assert not builtin.dequantise_delta(q, scale).any()


def test_encode_decode_roundtrip_keeps_small_tensors_exact():
    import torch

    base = {"w": torch.ones(4, 4), "b": torch.zeros(4)}
    trained = {"w": torch.ones(4, 4) + 0.01 * torch.arange(16.0).reshape(4, 4), "b": torch.full((4,), 0.5),
               "head": torch.randn(2, 4)}
    stored = builtin.encode_tensors(trained, base)
    assert stored["w" + builtin.DELTA_SUFFIX].dtype == torch.int8 and "head" in stored and "b" in stored
    decoded = builtin.decode_tensors(stored, base)
    assert torch.equal(decoded["b"], trained["b"]) and torch.equal(decoded["head"], trained["head"])
    assert torch.allclose(decoded["w"], trained["w"], atol=0.15 / 127)


def test_shipped_artefact_is_small_and_described():
    files = {p.name: p.stat().st_size for p in builtin.CLASSIFIER_DIR.iterdir()}
    assert set(files) == {builtin.WEIGHTS_FILE, builtin.META_FILE}
    assert sum(files.values()) <= MAX_ARTEFACT_BYTES
    meta = builtin.read_meta(builtin.CLASSIFIER_DIR)
    assert meta["labels"] == ["negative", "positive"]


def test_builtin_is_one_bert_classifier_with_eager_attention(builtin_model):
    from transformers import BertForSequenceClassification

    assert isinstance(builtin_model.model, BertForSequenceClassification)
    assert builtin_model.model.config._attn_implementation == "eager" and not builtin_model.model.training
    assert builtin_model.model.config.id2label == {0: "negative", 1: "positive"}


def test_builtin_keeps_the_packaged_embeddings_and_changes_the_top_layer(builtin_model):
    from safetensors.torch import load_file

    packaged = load_file(str(builtin_model_dir() / builtin.BASE_WEIGHTS_FILE))
    params = {k: v.detach().cpu() for k, v in builtin_model.model.named_parameters()}
    key = next(k for k in packaged if k.endswith("embeddings.word_embeddings.weight"))
    assert np.array_equal(params["bert." + key.removeprefix("bert.")].numpy(), packaged[key].numpy())
    top = next(k for k in packaged if k.endswith("layer.5.attention.self.query.weight"))
    assert not np.array_equal(params["bert." + top.removeprefix("bert.")].numpy(), packaged[top].numpy())


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The movie was not good at all.", "negative"),
        ("A wonderful, moving film with brilliant acting.", "positive"),
        ("I loved every minute of it.", "positive"),
        ("This was the worst, most boring film I have ever seen.", "negative"),
        ("A delightful and charming comedy.", "positive"),
        ("Dull, tedious and badly written.", "negative"),
    ],
    ids=["not-good", "wonderful", "loved", "worst", "delightful", "dull"],
)
def test_builtin_classifies_unambiguous_sentences(builtin_model, text, label):
    prediction = attnviz.analyze(text, builtin_model).prediction
    assert prediction.method == "classifier" and prediction.top_label == label


def test_prediction_and_attention_come_from_the_same_forward(builtin_model):
    """The app's attentions are those of the model whose logits give the prediction."""
    import torch

    a = attnviz.analyze("a gripping, beautifully shot thriller", builtin_model)
    ids = builtin_model.tokenizer("a gripping, beautifully shot thriller", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        out = builtin_model.model(input_ids=ids, output_attentions=True)
    np.testing.assert_allclose(a.prediction.probs, out.logits.softmax(-1)[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(a.attentions[5], out.attentions[5][0].numpy(), atol=1e-6)


def _copy(tmp_path):
    folder = tmp_path / "delta"
    shutil.copytree(builtin.CLASSIFIER_DIR, folder)
    return folder


def test_delta_on_other_encoder_weights_is_refused(tmp_path):
    folder = _copy(tmp_path)
    meta = json.loads((folder / builtin.META_FILE).read_text())
    meta["base"]["sha256"] = "0" * 64
    (folder / builtin.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="differ from those"):
        attnviz.load_model(str(folder))


@pytest.mark.parametrize("damage", ["format", "weights"], ids=["unknown-format", "corrupt-weights"])
def test_damaged_delta_gives_a_model_load_error(tmp_path, damage):
    folder = _copy(tmp_path)
    if damage == "format":
        (folder / builtin.META_FILE).write_text(json.dumps({"format": "pickle"}))
    else:
        (folder / builtin.WEIGHTS_FILE).write_bytes(b"not safetensors")
    with pytest.raises(ModelLoadError, match="retrain"):
        attnviz.load_model(str(folder))
