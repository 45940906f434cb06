"""Download buttons whose files are built on click, one at a time, and never past the text-export cap."""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

from attnviz import export
from attnviz.compact import LayerStore
from attnviz.errors import BusyError
from attnviz.types import Analysis

# One export is built at a time: building is CPU work on the machine the class shares, beside inference.
_BUILD_SLOTS = threading.BoundedSemaphore(1)
_WAIT_S = 30.0
# Past this size the full tensor goes out in float16: float32 at 512 tokens (75 MB) would double the peak memory.
FLOAT32_LIMIT_BYTES = 40_000_000


def one_at_a_time(build: Callable[[], Any]) -> Callable[[], Any]:
    """``build`` wrapped so that concurrent downloads queue for one slot instead of all running at once."""

    def bounded() -> Any:
        if not _BUILD_SLOTS.acquire(timeout=_WAIT_S):
            raise BusyError("Another download is being prepared. Please retry in a few seconds.")
        try:
            return build()
        finally:
            _BUILD_SLOTS.release()

    return bounded


def text_export_button(column: Any, label: str, file_name: str, mime: str, shape: Sequence[int], build) -> None:
    """A CSV/JSON download built on click; past the cap a disabled button whose tooltip says what to use."""
    try:
        export.check_text_export(shape, label)
    except export.ExportTooLarge as exc:
        column.button(label, key=f"dl_{file_name}", disabled=True, help=str(exc))
        return
    column.download_button(
        label, data=one_at_a_time(build), file_name=file_name, mime=mime, key=f"dl_{file_name}", on_click="ignore"
    )


def tensor_button(column: Any, analysis: Analysis) -> None:
    """The whole tensor as .npz: float32, or float16 when float32 would pass FLOAT32_LIMIT_BYTES."""
    att = analysis.attentions
    if isinstance(att, LayerStore):
        column.button("All (.npz)", key="dl_attention_all.npz", disabled=True, help=(
            f"At {att.shape[-1]} tokens every layer and head is {att.size * 2 / 1e9:.1f} GB even in float16, kept here "
            "one layer at a time: download a layer, or run attnviz.analyze in a notebook."))
        return
    dtype = "float32" if att.size * 4 <= FLOAT32_LIMIT_BYTES else "float16"
    layers = list(range(att.shape[0]))
    column.download_button(
        "All (.npz)", data=one_at_a_time(lambda: export.tensor_npz(att, analysis.tokens, analysis.model_name, layers, dtype)),
        file_name=f"attention_all_{dtype}.npz", mime="application/octet-stream", key="dl_attention_all.npz",
        on_click="ignore", help=f"Every layer and head as NumPy {dtype} with tokens and offsets: np.load(file)",
    )
