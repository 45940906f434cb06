"""Many sessions at once on a freshly started server, spoken to over Streamlit's own websocket protocol."""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.serve import MARKERS, strip_has_only, streamlit_server

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from stclient import Session  # noqa: E402

pytestmark = pytest.mark.e2e
WORDS = MARKERS[:10]


async def _one(url: str, word: str):
    session = await Session.open(url, "Inspect")
    try:
        return await session.run(f"the {word} is here", timeout_s=180)
    finally:
        await session.close()


async def _all(url: str):
    return await asyncio.gather(*(_one(url, w) for w in WORDS), return_exceptions=True)


def test_ten_sessions_on_a_fresh_server_all_succeed_with_their_own_text():
    """No import race on a cold server, no errors, and each session gets its own text back."""
    with streamlit_server() as server, ThreadPoolExecutor(1) as pool:
        # Its own thread: Playwright's sync API may already run an event loop in this one.
        results = pool.submit(asyncio.run, _all(server.url)).result(timeout=300)
    for word, result in zip(WORDS, results):
        assert not isinstance(result, BaseException), f"{word}: {result!r}"
        assert result.exceptions == [] and not any("wrong" in a for a in result.alerts), (word, result.alerts)
        strip = " ".join(result.codes)
        assert strip_has_only(strip, word, WORDS), (word, strip)
        assert result.plotly_charts >= 4
