"""Take the README's picture of the playground: spirals, three hidden layers, mid-training.

Needs the playground extra, Playwright for Python and a Chromium on the PATH
(Debian: apt-get install chromium). Writes docs/playground.png.

    python examples/playground_screenshot.py [OUT.png]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUERY = ("?data=spirals&noise=0.05&n=500&features=x1,x2,x1sq,x2sq,sinx1,sinx2"
         "&layers=8,8,5&act=tanh&opt=adam&lr=0.01&batch=16&reg=l2&rate=0.0003&seed=3")


def main(out: str = "docs/playground.png") -> None:
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-m", "mlplab", "playground"], cwd=root,
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split(" at ")[1].split()[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                 args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.goto(url + QUERY)
            page.wait_for_function("() => page.setup !== null && page.frame !== null")
            page.click("#play")
            page.wait_for_function("() => page.frame.iteration > 6000", timeout=120000)
            page.click("#play")
            page.wait_for_timeout(300)
            page.screenshot(path=str(root / out))
            browser.close()
    finally:
        server.terminate()
        server.communicate(timeout=20)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
