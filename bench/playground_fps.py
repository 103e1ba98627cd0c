"""How many frames a second the playground streams while training, against the 20 it must.

Two measurements of the default page (XOR, the default network, playing):

- server: a `Session` advancing a frame's worth of training (20 ms) and
  building its JSON frame, as fast as it can, for `--seconds`;
- browser (when Playwright and Chromium are found): `mlplab playground` in
  its own process and the page in headless Chromium, counting the frames the
  page receives while playing, and timing a tab switch during training (the
  page must stay responsive).

Run: python bench/playground_fps.py [--seconds 3]. Needs the playground extra;
the browser part also Playwright and Debian's chromium.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time

TARGET = 20  # frames a second (issue 11)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def server_fps(seconds: float) -> tuple[float, int]:
    """Frames a second a Session makes (training and JSON), and the mean frame size."""
    from mlplab.playground.session import Session

    session = Session()
    session.playing = True
    started, count, size = time.perf_counter(), 0, 0
    while time.perf_counter() - started < seconds:
        session.advance(seconds=0.02)
        size += len(json.dumps(session.frame(), allow_nan=False))
        count += 1
    return count / (time.perf_counter() - started), size // max(count, 1)


def browser_fps(seconds: float) -> tuple[float, float] | None:
    """Frames a second the page receives, and a tab switch's time while playing; None when
    no browser can be driven."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    server = subprocess.Popen([sys.executable, "-m", "mlplab", "playground"],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split(" at ")[1].split()[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            page.wait_for_function("() => page.setup !== null && page.frame !== null")
            page.evaluate("() => { window.count = 0; const f = onFrame; "
                          "onFrame = (frame) => { window.count += 1; f(frame); }; }")
            page.click("#play")
            page.wait_for_timeout(int(seconds * 1000))
            frames = page.evaluate("() => window.count")
            started = time.perf_counter()
            page.click("#tabs button[data-view='surface']")
            page.wait_for_selector("#view-surface:not([hidden])")
            switch = time.perf_counter() - started
            browser.close()
        return frames / seconds, switch
    finally:
        server.terminate()
        server.communicate(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    fps, size = server_fps(args.seconds)
    print(f"server:  {fps:6.1f} frames/s ({size / 1000:.1f} kB a frame); target {TARGET}: "
          f"{'PASS' if fps >= TARGET else 'FAIL'}")
    measured = browser_fps(args.seconds)
    if measured is None:
        print("browser: skipped (needs Playwright and chromium)")
        return
    fps, switch = measured
    print(f"browser: {fps:6.1f} frames/s received; a tab switch while playing took "
          f"{switch:.2f} s; target {TARGET}: {'PASS' if fps >= TARGET else 'FAIL'}")


if __name__ == "__main__":
    main()
