"""Seconds from submitting a text on /Inspect until its heatmaps are drawn, in headless Debian chromium.

Run from the repository root:  python bench/browser_512.py [--sizes 128 512] [--repeat 3] [--shot DIR]
It starts its own server on 127.0.0.1. Needs chromium at /usr/bin/chromium (apt-get install -y chromium).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import CHROMIUM, CHROMIUM_ARGS, FILLER, IDLE, MARKERS, streamlit_server  # noqa: E402

AREA = "textarea[aria-label='Text to analyse']"


def text_for(n_tokens: int, salt: int) -> str:
    """About ``n_tokens`` tokens starting with a marker word, so each submission's result can be recognised."""
    words = (FILLER * (n_tokens // len(FILLER) + 2))[: max(1, n_tokens - 3)]
    return f"{MARKERS[salt % len(MARKERS)]} " + " ".join(words)


def drawn(page, marker: str, timeout_ms: int = 60_000) -> None:
    """Wait until this submission's run has finished and its heatmaps are on screen."""
    page.wait_for_function(
        """(marker) => {
           const idle = document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']");
           const strip = [...document.querySelectorAll("[data-testid='stCode'] code")].some(c => c.innerText.includes(marker));
           const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.querySelector('.heatmaplayer image, .hm image'));
           return idle && strip && plots.length >= 2; }""",
        arg=marker, timeout=timeout_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shot", type=Path, default=None, help="save a screenshot of the 512-token page here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with streamlit_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url + "/Inspect")
        page.wait_for_selector(IDLE, timeout=120_000)
        salt = 0
        for n in args.sizes:
            times = []
            for _ in range(args.repeat + 1):  # the first submission of each size warms caches up
                salt += 1
                area = page.locator(AREA)
                area.fill(text_for(n, salt))
                start = time.perf_counter()
                area.press("Control+Enter")
                drawn(page, f"[CLS] │ {MARKERS[salt % len(MARKERS)]} │")
                times.append(time.perf_counter() - start)
            print(f"n≈{n}: heatmaps drawn {statistics.median(times[1:]):.2f} s after submit "
                  f"(median of {args.repeat}; runs {', '.join(f'{t:.2f}' for t in times[1:])})")
        if args.shot:
            args.shot.mkdir(parents=True, exist_ok=True)
            page.locator("[data-testid='stMain']").screenshot(path=str(args.shot / "inspect_512.png"))
        browser.close()


if __name__ == "__main__":
    main()
