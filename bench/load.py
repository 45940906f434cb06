"""Classroom load on loopback: many Streamlit sessions against one `streamlit run app.py`.

Run from the repository root (it starts its own server on 127.0.0.1 and stops it):
  python bench/load.py classroom [--sessions 30] [--duration 180] [--pause 10 30]
                                 [--page Inspect|Explain|Worked_example] [--model NAME]
      each session submits a ≤128-token text, waits 10–30 s, submits again, until --duration;
      prints p50/p95/max latency, errors, cross-session leaks, server memory before/after.
      --page: the page the class uses (Worked_example runs its real-model mode); --model: a model name or
      folder for the sidebar (default: the built-in classifier).
  python bench/load.py quiz [--students 60] [--idle 20]
      a teacher makes a Classroom room and asks; --students join and answer within 10 s; then everyone idles
      with the page open; the server is killed mid-question and restarted; prints, last, one JSON line.
  python bench/load.py closed-tabs [--tabs 8]
      --tabs sessions submit 512-token texts and close at once; then a new user submits a short text;
      prints the new user's wait next to the time of one 512-token inference.

Every request loop is bounded in count and time and talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import FILLER, MARKERS as WORDS, strip_has_only, streamlit_server  # noqa: E402
from stclient import Session  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def own_text(word: str, rng: random.Random) -> str:
    """A text of at most ~60 tokens with one marker word no other session uses."""
    body = rng.sample(FILLER, k=rng.randint(5, len(FILLER)))
    body.insert(rng.randrange(len(body)), word)
    return " ".join(body)


# What each page draws once a submission is fully answered (plotly charts at least), and its first-run URL.
PAGES = {
    "Inspect": {"charts": 4, "query": {}},
    "Explain": {"charts": 5, "query": {}},
    "Worked_example": {"charts": 1, "query": {"example": "model"}},
}


def page_query(page: str, model: str | None) -> dict:
    return PAGES[page]["query"] | ({"model": model} if model else {})


def answered(page: str, result) -> bool:
    """The page finished without an exception, error or warning, and drew what it draws."""
    return not result.exceptions and not result.failures and result.plotly_charts >= PAGES[page]["charts"] and (
        page != "Inspect" or bool(result.codes))


async def student(url: str, word: str, words: list[str], deadline: float, pause: tuple[float, float], seed: int,
                  page: str = "Inspect", model: str | None = None) -> dict:
    rng = random.Random(seed)
    stats = {"latencies": [], "errors": 0, "leaks": 0}
    session = await Session.open(url, page, page_query(page, model))
    try:
        await asyncio.sleep(rng.uniform(0, pause[0]))  # students do not all press Enter in the same second
        while time.monotonic() < deadline:
            text = own_text(word, rng)
            try:
                result = await session.run(text, timeout_s=60)
            except Exception:  # a dropped connection or a timeout is an error for this student
                stats["errors"] += 1
                break
            stats["latencies"].append(result.seconds)
            if not answered(page, result):
                stats["errors"] += 1
            strip = " ".join(result.codes)  # only Inspect shows the token strip a leak would show in
            if page == "Inspect" and not strip_has_only(strip, word, words):
                stats["leaks"] += 1
            await asyncio.sleep(rng.uniform(*pause))
    finally:
        await session.close()
    return stats


async def classroom(url: str, sessions: int, duration: float, pause: tuple[float, float],
                    page: str = "Inspect", model: str | None = None) -> list[dict]:
    deadline = time.monotonic() + duration
    words = [WORDS[i % len(WORDS)] + ("" if i < len(WORDS) else str(i)) for i in range(sessions)]
    return await asyncio.gather(*(student(url, w, words, deadline, pause, i, page, model) for i, w in enumerate(words)))


async def closed_tabs(url: str, tabs: int) -> dict:
    long_text = " ".join(FILLER * 40)  # far beyond 512 tokens: the model's longest input
    warm = await Session.open(url, "Inspect")
    one = (await warm.run(long_text, timeout_s=120)).seconds  # warm-up and the time of one long request
    one = (await warm.run(long_text + " again", timeout_s=120)).seconds
    await warm.close()
    opened = [await Session.open(url, "Inspect") for _ in range(tabs)]
    for i, s in enumerate(opened):
        await s.ws.send(_first_run_bytes(long_text + f" tab {i}"))
    await asyncio.sleep(0.2)
    for s in opened:
        await s.close()
    newcomer = await Session.open(url, "Inspect")
    wait = (await newcomer.run("the zebra came to class", timeout_s=120)).seconds
    alone = (await newcomer.run("the zebra came to school", timeout_s=120)).seconds
    await newcomer.close()
    return {"one_long_request_s": round(one, 3), "new_user_wait_s": round(wait, 3),
            "same_request_on_idle_server_s": round(alone, 3), "tabs_closed": tabs}


def _first_run_bytes(text: str) -> bytes:
    from urllib.parse import urlencode

    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.page_name = "Inspect"
    msg.rerun_script.query_string = urlencode({"text": text})
    return msg.SerializeToString()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("classroom")
    c.add_argument("--sessions", type=int, default=30)
    c.add_argument("--duration", type=float, default=180)
    c.add_argument("--pause", type=float, nargs=2, default=(10, 30))
    c.add_argument("--page", choices=list(PAGES), default="Inspect")
    c.add_argument("--model", default=None, help="model name or folder for the sidebar (default: built-in)")
    q = sub.add_parser("quiz")
    q.add_argument("--students", type=int, default=60)
    q.add_argument("--idle", type=float, default=20, help="seconds of idle polling to measure the server's CPU")
    t = sub.add_parser("closed-tabs")
    t.add_argument("--tabs", type=int, default=8)
    args = parser.parse_args()
    if args.command == "quiz":
        run_quiz_command(args)
        return
    with streamlit_server() as server:
        if args.command == "classroom":
            run_classroom(server.pid, server.url, args)
        else:
            print(asyncio.run(closed_tabs(server.url, args.tabs)))


async def _warm_up(url: str, page: str = "Inspect", model: str | None = None) -> None:
    session = await Session.open(url, page, page_query(page, model))
    await session.run("the zebra came to class", timeout_s=300)
    await session.close()


def run_classroom(pid: int, url: str, args) -> None:
    asyncio.run(_warm_up(url, args.page, args.model))  # load the model once: the baseline is a warm, idle server
    time.sleep(2)
    before = rss_mb(pid)
    results = asyncio.run(classroom(url, args.sessions, args.duration, tuple(args.pause), args.page, args.model))
    peak = rss_mb(pid)
    time.sleep(10)  # disconnected sessions are cleaned up by the server
    after = rss_mb(pid)
    lat = sorted(x for r in results for x in r["latencies"])
    p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))] if lat else float("nan")
    print(f"page {args.page}, model {args.model or 'built-in'}, sessions {args.sessions}, {args.duration:.0f} s, "
          f"pauses {args.pause[0]:.0f}–{args.pause[1]:.0f} s, {len(lat)} submissions")
    print(f"latency s: p50 {statistics.median(lat):.2f}  p95 {p95:.2f}  max {max(lat):.2f}")
    print(f"errors {sum(r['errors'] for r in results)}  cross-session leaks {sum(r['leaks'] for r in results)}")
    print(f"server RSS MB: idle {before:.0f}, under load {peak:.0f}, 10 s after all disconnected {after:.0f} "
          f"(+{after - before:.0f})")


def run_quiz_command(args) -> None:
    import json

    from quiz import run_quiz

    print(json.dumps(run_quiz(streamlit_server, args.students, args.idle)))


if __name__ == "__main__":
    main()
