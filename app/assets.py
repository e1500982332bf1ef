"""Static files under content-hashed names, cached for a year.

`asset_url('css/app.css')` gives `/static/css/app.3f9c2a1b0d.css`; the hash changes when the file
does, so browsers and the service worker never keep a stale copy. Vendor files are copied from
node_modules into static/vendor by `make` and get hashed the same way.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, abort, send_from_directory

from app import access

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[A-Za-z0-9]+)$")
YEAR = 365 * 24 * 3600


class Assets:
    def __init__(self, root: Path):
        self.root = root
        self.by_logical: dict[str, str] = {}
        self.by_hashed: dict[str, str] = {}
        self.scan()

    def scan(self) -> None:
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name == "sw.js":
                continue
            logical = path.relative_to(self.root).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            hashed = f"{path.with_suffix('').relative_to(self.root).as_posix()}.{digest}{path.suffix}"
            self.by_logical[logical] = hashed
            self.by_hashed[hashed] = logical

    def url(self, logical: str) -> str:
        hashed = self.by_logical.get(logical)
        if hashed is None:
            raise KeyError(f"static file {logical!r} not found (did `make` build the vendor files?)")
        return f"/static/{hashed}"

    def all_urls(self, prefix: str = "") -> list[str]:
        return [f"/static/{h}" for logical, h in self.by_logical.items() if logical.startswith(prefix)]


def init_app(app: Flask) -> Assets:
    assets = Assets(Path(app.static_folder))
    app.extensions["assets"] = assets

    def serve_static(filename: str):
        logical = assets.by_hashed.get(filename)
        if logical is None:
            abort(404)
        response = send_from_directory(app.static_folder, logical, max_age=YEAR)
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    app.add_url_rule("/static/<path:filename>", "static", access.public(serve_static))
    app.jinja_env.globals["asset_url"] = assets.url
    return assets
