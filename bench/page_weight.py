"""What a cold first page load weighs: bytes on the wire for the sign-in page and a live round page.

Starts the app on a temporary SQLite database, opens each page in headless Chromium with an empty
profile (nothing cached) and adds up the encoded (compressed) sizes of every response, first for
the page itself and then including what the service worker precaches after the load. The live
round page is opened by a signed-in participant of a round that is about to start.
Target (issue 11): at most 60 KB compressed for each.
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


LIMIT_KB = 60


def serve(tmp: Path):
    """The app on a fresh database with one live-ready round; returns (server, url, round page, cookie)."""
    from app import create_app
    from bench import live_latency
    port = free_port()
    url = f"http://localhost:{port}"
    database = f"sqlite:///{tmp / 'bench.sqlite3'}"
    round_id, cookies = live_latency.prepare(database, url, 1, 3)["rounds"][0]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": live_latency.SECRET,
                      "APP_URL": url, "WEBAUTHN_RP_ID": "localhost",
                      "WEBAUTHN_ORIGIN": url, "RATELIMIT_ENABLED": False})
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, url, f"/intervisie/rondes/{round_id}/live", cookies[2][0]


def measure(url: str, path: str, profile: Path, cookie: str | None = None) -> dict:
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        if cookie:
            context.add_cookies([{"name": "session", "value": cookie, "url": url}])
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: dict[str, int] = {}
        urls: dict[str, str] = {}
        cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        response = page.goto(f"{url}{path}", wait_until="load")
        if response is None or response.status != 200 or response.url != f"{url}{path}":
            raise RuntimeError(f"{path} answered {response and response.status} at {response and response.url}")
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
        by_url = {urls.get(k, k): v for k, v in sizes.items()}
        # A repeat visit: static files should come from the service worker, not the network.
        statics: dict[str, bool] = {}
        cdp.on("Network.responseReceived", lambda e: "/static/" in e["response"]["url"] and statics.__setitem__(
            e["response"]["url"], bool(e["response"].get("fromServiceWorker"))))
        page.reload(wait_until="load")
        page.wait_for_timeout(500)
        context.close()
    return {"page_bytes": page_bytes, "page_requests": page_requests,
            "precache_uncompressed_bytes": precached["total"], "precache_files": precached["count"],
            "by_url": by_url, "repeat_static": len(statics),
            "repeat_static_network": sorted(u for u, from_worker in statics.items() if not from_worker)}


def measure_all() -> dict:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server, url, live_path, cookie = serve(tmp)
        try:
            results = {"sign-in page": measure(url, "/inloggen", tmp / "profile-login"),
                       "live round page": measure(url, live_path, tmp / "profile-live", cookie)}
        finally:
            server.shutdown()
    for name, result in results.items():
        print(f"Cold load of the {name} (empty browser cache, compressed bytes on the wire):")
        for resource, size in sorted(result["by_url"].items(), key=lambda kv: -kv[1]):
            print(f"  {size:>8,d}  {resource.replace(url, '')}")
        print(f"  {result['page_bytes']:>8,d}  total for the page, {result['page_requests']} requests")
        print(f"Service worker precache afterwards: {result['precache_files']} files, "
              f"{result['precache_uncompressed_bytes']:,d} bytes uncompressed")
        print(f"Repeat visit: {result['repeat_static']} static files, from the network: "
              f"{', '.join(result['repeat_static_network']) or 'none'}")
    return results


def main() -> None:
    measure_all()


def rows() -> list:
    from bench.table import Row, at_most
    found = []
    for name, result in measure_all().items():
        found.append(at_most(f"Cold first visit, {name}: compressed bytes on the wire "
                             f"({result['page_requests']} requests)", result["page_bytes"] / 1000, "KB", LIMIT_KB))
        found.append(Row(f"Service worker precache after the {name} ({result['precache_files']} files, uncompressed)",
                         result["precache_uncompressed_bytes"] / 1000, "KB"))
        found.append(at_most(f"Repeat visit, {name}: static files fetched from the network instead of the service "
                             f"worker (of {result['repeat_static']})", len(result["repeat_static_network"]), "files", 0,
                             shown="0"))
    return found


if __name__ == "__main__":
    main()
