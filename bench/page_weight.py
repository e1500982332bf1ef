"""What the first cold page load weighs: bytes on the wire for a new visitor's sign-in page.

Starts the app on a temporary SQLite database, opens /inloggen in headless Chromium with an empty
profile (nothing cached) and adds up the encoded (compressed) sizes of every response, first for
the page itself and then including what the service worker precaches after the load.
"""
from __future__ import annotations

import logging
import socket
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

logging.getLogger("werkzeug").setLevel(logging.ERROR)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(tmp: Path):
    from app import create_app
    from app.extensions import db
    port = free_port()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
                      "APP_URL": f"http://localhost:{port}", "WEBAUTHN_RP_ID": "localhost",
                      "WEBAUTHN_ORIGIN": f"http://localhost:{port}", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://localhost:{port}"


def measure(url: str, tmp: Path) -> dict:
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp / "profile"), executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: dict[str, int] = {}
        urls: dict[str, str] = {}
        cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        page.goto(f"{url}/inloggen", wait_until="load")
        page.wait_for_timeout(300)
        page_bytes = sum(sizes.values())
        page_requests = len(sizes)
        page.evaluate("navigator.serviceWorker.ready")
        page.wait_for_timeout(1000)
        # The worker's precache requests are the worker's own, not the page's: ask the worker's
        # caches what they hold and weigh it through a plain fetch with compression.
        precached = page.evaluate("""async () => {
            let total = 0, count = 0;
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) {
                    const body = await (await cache.match(request)).arrayBuffer();
                    total += body.byteLength; count += 1;
                }
            }
            return {total, count};
        }""")
        context.close()
    return {"page_bytes": page_bytes, "page_requests": page_requests,
            "precache_uncompressed_bytes": precached["total"], "precache_files": precached["count"],
            "by_url": {urls.get(k, k): v for k, v in sizes.items()}}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server, url = serve(tmp)
        try:
            result = measure(url, tmp)
        finally:
            server.shutdown()
    print("Cold load of /inloggen (empty browser cache, compressed bytes on the wire):")
    for resource, size in sorted(result["by_url"].items(), key=lambda kv: -kv[1]):
        print(f"  {size:>8,d}  {resource.replace(url, '')}")
    print(f"  {result['page_bytes']:>8,d}  total for the page, {result['page_requests']} requests")
    print(f"Service worker precache afterwards: {result['precache_files']} files, "
          f"{result['precache_uncompressed_bytes']:,d} bytes uncompressed")


if __name__ == "__main__":
    main()
