"""Shareable view state in the URL (?text=…&model=…&layer=…&head=…), parsed so a bad URL never raises."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from attnviz.tokens import MAX_CHARS

# Longer texts make links that some chat tools and browsers cut; those are not put in the URL.
MAX_URL_TEXT = 2_000


@dataclass(frozen=True)
class ViewState:
    text: str | None = None
    model: str | None = None
    layer: int = 0
    head: int = 0


def _first(value: object) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _index(value: object, count: int, default: int = 0) -> int:
    raw = _first(value)
    try:
        number = int(raw.strip()) if raw is not None else default
    except ValueError:
        return default
    return number if 0 <= number < count else default


def parse_view_state(params: Mapping[str, object], n_layers: int, n_heads: int) -> ViewState:
    """Read the view from query parameters; anything missing or out of range falls back to defaults."""
    text = _first(params.get("text"))
    model = _first(params.get("model"))
    return ViewState(
        text=text[:MAX_CHARS] if text else None,
        model=model.strip()[:512] if model and model.strip() else None,
        layer=_index(params.get("layer"), n_layers),
        head=_index(params.get("head"), n_heads),
    )


def view_params(state: ViewState, include_head: bool = True) -> dict[str, str]:
    """Query parameters for a view; text too long for a link is left out, and layer/head unless asked for."""
    params = {"layer": str(state.layer), "head": str(state.head)} if include_head else {}
    if state.text and len(state.text) <= MAX_URL_TEXT:
        params["text"] = state.text
    if state.model:
        params["model"] = state.model
    return params


def view_json(state: ViewState) -> str:
    """The view as a small JSON file: what a link cannot carry (a long text) travels this way."""
    return json.dumps({"attnviz_view": 1, "text": state.text, "model": state.model, "layer": state.layer,
                       "head": state.head}, ensure_ascii=False)


def parse_view_json(data: bytes | str, n_layers: int = 64, n_heads: int = 64) -> ViewState:
    """Read a file written by ``view_json``; raises ValueError with a message for anything else."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("That file is not a saved attnviz view (not JSON).") from exc
    if not isinstance(raw, dict) or raw.get("attnviz_view") != 1:
        raise ValueError("That file is not a saved attnviz view (download one with “Save this view”).")
    params = {k: str(raw[k]) for k in ("text", "model", "layer", "head") if isinstance(raw.get(k), (str, int))}
    return parse_view_state(params, n_layers, n_heads)
