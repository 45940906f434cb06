"""Untrusted model names: allow-listed folders only, one message for every refusal, no pickles, no remote code."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import struct
from pathlib import Path

import pytest

import attnviz
from attnviz import policy
from attnviz.errors import ModelLoadError

ROOT = Path(__file__).resolve().parents[1]


def _refusal(name: str) -> str:
    with pytest.raises(ModelLoadError) as info:
        attnviz.load_model(name)
    return str(info.value)


@pytest.fixture
def outside(tmp_path_factory, tiny_classifier_dir, monkeypatch):
    """A real model folder that is NOT under the allowed root, and a root that is."""
    root = tmp_path_factory.mktemp("allowed")
    elsewhere = Path(os.path.realpath("/var/tmp")) / f"attnviz-outside-{os.getpid()}"
    shutil.copytree(tiny_classifier_dir, elsewhere, dirs_exist_ok=True)
    monkeypatch.setenv(policy.MODEL_ROOT_ENV, str(root))
    yield root, elsewhere
    shutil.rmtree(elsewhere, ignore_errors=True)


def test_every_refused_name_gets_the_same_message(outside):
    root, elsewhere = outside
    (root / "link-out").symlink_to(elsewhere, target_is_directory=True)
    names = [
        str(elsewhere),  # exists, outside the root
        "/definitely/missing/folder",  # does not exist
        str(root / ".." / elsewhere.name),  # traversal out of the root
        str(root / "link-out"),  # symlink out of the root
        "../../etc",
        "\\\\server\\share\\model",  # UNC
        "x\x00y",
        "m" * 10_000,
        "/etc",
        "~/.ssh",
    ]
    messages = {_refusal(n) for n in names}
    assert messages == {policy.REFUSED}


def test_refusal_does_not_reveal_whether_a_path_exists(outside):
    _, elsewhere = outside
    assert _refusal(str(elsewhere)) == _refusal(str(elsewhere) + "-missing")


def test_folder_inside_the_allowed_root_loads(outside, tiny_classifier_dir):
    root, _ = outside
    inside = root / "mine"
    shutil.copytree(tiny_classifier_dir, inside)
    assert attnviz.load_model(str(inside)).kind == "classifier"


@pytest.mark.parametrize("name, ok", [
    ("distilbert-base-uncased", True), ("org/model-1.5", True), ("a/b/c", False), ("../x", False),
    ("org/..", False), ("-x", False), ("org/name with space", False), ("", False),
])
def test_hub_id_shape(name, ok):
    assert policy.is_hub_id(name) is ok


def _payload_marker(folder: Path) -> Path:
    return folder / "PWNED"


def test_pickle_checkpoint_is_refused_and_never_unpickled(tmp_path, tiny_classifier_dir):
    folder = tmp_path / "pickled"
    shutil.copytree(tiny_classifier_dir, folder)
    (folder / "model.safetensors").unlink()
    marker = _payload_marker(folder)

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelLoadError):
        attnviz.load_model(str(folder))
    assert not marker.exists()


def test_remote_code_model_is_refused_and_its_code_never_runs(tmp_path, tiny_classifier_dir):
    folder = tmp_path / "remote"
    shutil.copytree(tiny_classifier_dir, folder)
    marker = _payload_marker(folder)
    (folder / "modeling_evil.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="code of its own"):
        attnviz.load_model(str(folder))
    assert not marker.exists()


def test_oversized_model_is_refused_from_its_header(tmp_path, tiny_classifier_dir):
    """A safetensors header that claims 2 GB of tensors is refused before any weight is read."""
    folder = tmp_path / "huge"
    shutil.copytree(tiny_classifier_dir, folder)
    header = json.dumps({"w": {"dtype": "F32", "shape": [500_000_000], "data_offsets": [0, 2_000_000_000]}}).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(ModelLoadError, match="too large"):
        attnviz.load_model(str(folder))


def test_size_estimate_from_config():
    bert_base = {"hidden_size": 768, "num_hidden_layers": 12, "vocab_size": 30522}
    assert 400e6 < policy.estimated_bytes(bert_base) < 500e6  # ~110M parameters in float32
    with pytest.raises(ModelLoadError, match="too large"):
        policy.check_size(policy.estimated_bytes(bert_base), "bert", budget=100_000_000)


_FORBIDDEN = re.compile(r"torch\.load\(|pickle\.loads?\(|trust_remote_code\s*=\s*True|unsafe_allow_html\s*=\s*True")


def test_code_never_unpickles_runs_remote_code_or_renders_raw_html():
    files = [*ROOT.glob("*.py"), *ROOT.glob("attnviz/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("bench/*.py")]
    assert len(files) > 10
    hits = [f"{f.relative_to(ROOT)}: {m.group(0)}" for f in files for m in _FORBIDDEN.finditer(f.read_text())]
    assert hits == []


def test_trusted_folder_loads_anywhere_but_only_when_asked(outside):
    """Scripts run by the machine's owner (train, evaluate, bench) may name any folder; the app never does."""
    _, elsewhere = outside
    with pytest.raises(ModelLoadError):
        attnviz.load_model(str(elsewhere))
    assert attnviz.load_model(str(elsewhere), trusted_folder=True).kind == "classifier"
    with pytest.raises(ModelLoadError):  # trust covers a folder, not any string
        attnviz.load_model("../../etc/passwd", trusted_folder=True)


@pytest.mark.parametrize("name", ["attnviz/builtin_classifier", "docs", "tests", "attnviz"],
                         ids=["org-name-folder", "docs", "tests", "package"])
def test_relative_folder_shaped_like_a_hub_id_is_a_path_and_refused(name, monkeypatch):
    """From the repository root these exist on disk; from_pretrained would load them from there, not the hub."""
    monkeypatch.chdir(ROOT)
    assert policy.is_hub_id(name)
    assert _refusal(name) == policy.REFUSED


def test_relative_folder_inside_the_allowed_root_loads(outside, tiny_classifier_dir, monkeypatch):
    root, _ = outside
    shutil.copytree(tiny_classifier_dir, root / "org" / "mine")
    monkeypatch.chdir(root)
    assert attnviz.load_model("org/mine").kind == "classifier"


@pytest.mark.parametrize("name", ["org/name\n", "org/name\n\n"], ids=["newline", "two-newlines"])
def test_hub_id_must_match_in_full(name):
    assert not policy.is_hub_id(name)


def _fake_repo_metadata(n_bytes: int):
    from huggingface_hub.utils import SafetensorsFileMetadata, SafetensorsRepoMetadata, TensorInfo

    files = {f"model-{i}.safetensors": SafetensorsFileMetadata(
        metadata={}, tensors={"w": TensorInfo(dtype="F32", shape=[n_bytes // 8], data_offsets=(0, n_bytes // 2))})
        for i in range(2)}
    return SafetensorsRepoMetadata(metadata=None, sharded=True, weight_map={"w": "model-0.safetensors"},
                                   files_metadata=files)


def test_hub_model_size_comes_from_its_safetensors_headers_before_any_download(monkeypatch):
    """Two shards of 1 GB: refused from the hub's headers; the config (never downloaded) is not consulted."""
    import huggingface_hub

    from attnviz import loading

    asked = []
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(loading, "hub_reachable", lambda *a, **k: True)
    monkeypatch.setattr(huggingface_hub, "get_safetensors_metadata",
                        lambda repo_id, **k: asked.append(repo_id) or _fake_repo_metadata(2_000_000_000))
    with pytest.raises(ModelLoadError, match="too large.*2.0 GB"):
        attnviz.load_model("some-org/huge-model")
    assert asked == ["some-org/huge-model"]


def test_hub_model_without_safetensors_is_refused_from_the_hub(monkeypatch):
    import huggingface_hub
    from huggingface_hub.errors import NotASafetensorsRepoError

    from attnviz import loading

    def none(repo_id, **kwargs):
        raise NotASafetensorsRepoError("no safetensors")

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(loading, "hub_reachable", lambda *a, **k: True)
    monkeypatch.setattr(huggingface_hub, "get_safetensors_metadata", none)
    with pytest.raises(ModelLoadError, match="has no safetensors weights, and this app never"):
        attnviz.load_model("some-org/pickled-model")
