"""Screenshots of every page at the three sizes a lesson meets: laptop, projector (sidebar open) and phone.

    python bench/shots.py [--url http://127.0.0.1:8501] [--out out/shots] [--presentation] [--open-sidebar]
                          [--pages home,inspect]

Without ``--url`` it starts its own server (``serve.streamlit_server``). Each shot is the whole page: the viewport
is grown to the height of Streamlit's scrolling main area, so nothing below the fold is missing.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path

from serve import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server

PAGES = {"home": "/", "inspect": "/Inspect", "worked": "/Worked_example", "explain": "/Explain",
         "corpus": "/Corpus", "classroom": "/Classroom"}
SIZES = {"1440x900": (1440, 900), "1024x768": (1024, 768), "390x844": (390, 844)}
# What each page shows once its first run is done (a heatmap, a table), waited for before the shot.
READY = {"inspect": ".js-plotly-plot", "worked": "[data-testid='stTable']", "explain": ".js-plotly-plot"}


def shoot(url: str, out: Path, presentation: bool, open_sidebar: bool = False, pages: list[str] | None = None
          ) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=120_000)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
        for size, (width, height) in SIZES.items():
            for name, path in PAGES.items():
                if pages and name not in pages:
                    continue
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(url + path)
                expect(page.locator("[data-testid='stMain'] h1").first).to_be_visible()
                if presentation:
                    if width < 640:  # the phone's sidebar starts closed
                        page.locator("[data-testid='stExpandSidebarButton']").click()
                    page.get_by_text("Presentation mode").click()
                    if width < 640 and not open_sidebar:
                        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
                elif open_sidebar and width < 640:
                    page.locator("[data-testid='stExpandSidebarButton']").click()
                if open_sidebar and width < 640:  # wait until it has slid all the way in
                    expect(page.locator("[data-testid='stSidebarContent']")).to_be_in_viewport(ratio=1)
                if name in READY:
                    expect(page.locator(READY[name]).first).to_be_visible()
                expect(page.locator(IDLE)).to_be_attached()
                page.wait_for_load_state("networkidle")
                full = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
                                     "[data-testid=\"stAppViewContainer\"], body')].map(e => e.scrollHeight))")
                page.set_viewport_size({"width": width, "height": max(height, int(full))})
                expect(page.locator(IDLE)).to_be_attached()
                suffix = ("_presentation" if presentation else "") + ("_sidebar" if open_sidebar and width < 640 else "")
                file = out / f"{name}_{size}{suffix}.png"
                page.screenshot(path=str(file), full_page=True)
                written.append(file)
                page.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app; default: start one")
    parser.add_argument("--out", type=Path, default=Path("out/shots"))
    parser.add_argument("--presentation", action="store_true", help="turn presentation mode on first")
    parser.add_argument("--open-sidebar", action="store_true", help="on the phone, shoot with the sidebar open")
    parser.add_argument("--pages", help=f"comma-separated, of {', '.join(PAGES)}; default: all")
    args = parser.parse_args()
    with (nullcontext(None) if args.url else streamlit_server()) as server:
        pages = args.pages.split(",") if args.pages else None
        for file in shoot(args.url or server.url, args.out, args.presentation, args.open_sidebar, pages):
            print(file)


if __name__ == "__main__":
    main()
