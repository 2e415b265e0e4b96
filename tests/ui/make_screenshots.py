"""Screenshots of the key pages for the README and docs/ui.md (``scripts/screenshots``).

Serves the standard CRM with sample records from a temporary SQLite database and writes small
PNGs to docs/screenshots/ (desktop pages at 1280 px, the form on a 375-px phone too).
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "web"), str(HERE.parent)]

from playwright.sync_api import sync_playwright  # noqa: E402
from ui_support import launch, live_server, seed  # noqa: E402
from web_helpers import USER_PASSWORD, make_site  # noqa: E402

from metacrm.store import Database  # noqa: E402

OUT = HERE.parents[1] / "docs" / "screenshots"


#: the README shows these: keep each small
MAX_BYTES = 100_000


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = Database.from_url(f"sqlite:///{folder}/shots.db")
        site = make_site(db)
        ids = seed(site.runtime.service, site.user_id)
        with live_server(site.app) as base, sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(base + "/login")
            page.fill("#username", "ann")
            page.fill("#password", USER_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            shots = [
                ("list", "/app/opportunity?view=all"),
                ("board", "/app/opportunity/board/stage"),
                ("record", f"/app/account/{ids['Acme Corporation']}"),
                ("form", "/app/opportunity/new"),
            ]
            for name, path in shots:
                page.goto(base + path)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print("wrote", OUT / f"{name}.png")
            phone = browser.new_page(viewport={"width": 375, "height": 740},
                                     storage_state=page.context.storage_state())
            phone.goto(base + "/app/opportunity/new")
            phone.screenshot(path=str(OUT / "form-phone.png"))
            print("wrote", OUT / "form-phone.png")
            browser.close()
        db.dispose()
    too_big = [p.name for p in OUT.glob("*.png") if p.stat().st_size > MAX_BYTES]
    if too_big:
        print(f"larger than {MAX_BYTES:,} bytes: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
