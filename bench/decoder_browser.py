"""SmolLM2 in headless chromium: seconds from submit until the heatmaps are drawn, server RSS, and screenshots.

Run from the repository root:  python bench/decoder_browser.py [--shots DIR] [--explain ...] [--forward]
It starts its own server on 127.0.0.1 and submits an English, a Chinese and a 1,000-token text on /Inspect
(and opens /Explain for those named by --explain). Needs chromium at /usr/bin/chromium. ``--forward`` then times,
in this process and after the server has stopped, the bare forward pass with attentions on each text (the floor
the page's time is compared with: the machine is shared, so the ratio is the figure to read).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # attnviz, for --forward
from load import rss_mb  # noqa: E402
from serve import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server  # noqa: E402

AREA = "textarea[aria-label='Text to analyse']"
MODEL = "SmolLM2-135M (built-in)"
LONG_WORDS = (
    "the students read the story about a quiet town by the sea and talked about what the main character wanted "
    "when she left her home to look for her brother who had gone to the city years before"
).split()
TEXTS = {
    "english": "When Mary and John went to the store, John gave a drink to",
    "chinese": "我爱学习编程，因为编程让我",
    "long": " ".join((LONG_WORDS * 40)[:1000]),  # 1,000 tokens (one per word)
}


def wait_drawn(page, marker: str, timeout_ms: int = 600_000) -> None:
    """Until this text's run has finished and at least two heatmaps are drawn."""
    page.wait_for_function(
        """(marker) => {
           const idle = document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']");
           const strip = [...document.querySelectorAll("[data-testid='stCode'] code")].some(c => c.innerText.replaceAll(' │ ', '').includes(marker));
           const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.querySelector('.heatmaplayer image, .hm image'));
           return idle && strip && plots.length >= 2; }""",
        arg=marker, timeout=timeout_ms)


class PeakRSS(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, default=None)
    parser.add_argument("--explain", nargs="*", default=[], help="texts to open on /Explain too")
    parser.add_argument("--texts", nargs="+", default=list(TEXTS))
    parser.add_argument("--forward", action="store_true", help="time the bare forward pass on each text too")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with streamlit_server() as server, sync_playwright() as p:
        url, pid = server.url, server.pid
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        query = urllib.parse.urlencode({"model": MODEL, "text": "Ok."})
        page.goto(f"{url}/Inspect?{query}")
        wait_drawn(page, "Ok")
        idle = rss_mb(pid)
        print(f"server RSS with SmolLM2 loaded, idle: {idle:.0f} MB")
        for name in args.texts:
            text = TEXTS[name]
            page.goto(f"{url}/Inspect?{urllib.parse.urlencode({'model': MODEL, 'text': 'Ok.'})}")
            wait_drawn(page, "Ok")
            watch = PeakRSS(pid)
            watch.start()
            page.locator(AREA).fill(text)
            start = time.perf_counter()
            page.locator(AREA).press("Control+Enter")
            wait_drawn(page, text[:1])  # one character: a CJK character may span several byte-level tokens
            took = time.perf_counter() - start
            watch.running = False
            time.sleep(3)  # the RSS figure is taken 3 s after the run: a measuring interval, not a page wait
            print(f"{name}: heatmaps drawn {took:.1f} s after submit; server RSS peak {watch.peak:.0f} MB, "
                  f"3 s later {rss_mb(pid):.0f} MB (idle {idle:.0f} MB)")
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
                # The page scrolls inside the app, so a tall window is what shows all of it in one image.
                page.set_viewport_size({"width": 1440, "height": 5200})
                page.wait_for_selector(IDLE)
                page.locator("[data-testid='stMain']").screenshot(path=str(args.shots / f"inspect_{name}.png"))
                page.set_viewport_size({"width": 1440, "height": 1000})
            if name in args.explain:
                start = time.perf_counter()
                page.goto(f"{url}/Explain?{urllib.parse.urlencode({'model': MODEL, 'text': text})}")
                page.wait_for_selector("text=Which tokens matter", timeout=900_000)
                page.wait_for_selector(IDLE, timeout=900_000)
                print(f"{name}: Explain complete {time.perf_counter() - start:.1f} s after opening")
                if args.shots:
                    page.set_viewport_size({"width": 1440, "height": 6000})
                    page.wait_for_selector(IDLE)
                    page.locator("[data-testid='stMain']").screenshot(path=str(args.shots / f"explain_{name}.png"))
                    page.set_viewport_size({"width": 1440, "height": 1000})
        browser.close()
    if args.forward:
        bare_forward(args.texts)


def bare_forward(names: list[str]) -> None:
    """Seconds of the model's own forward pass with attentions (median of 2) on each text, in this process."""
    import attnviz
    from bench import forward_only, median_time  # bench/bench.py, next to this script

    model = attnviz.load_model("smollm2")
    for name in names:
        seconds = median_time(lambda: forward_only(model, TEXTS[name]), 2)
        print(f"{name}: bare forward with attentions {seconds:.1f} s (median of 2)")


if __name__ == "__main__":
    main()
