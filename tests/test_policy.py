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
