"""URLs of this site built from APP_URL alone, so they come out the same in a request and in the
notification worker, where there is no request (and no fake one is needed)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def app_url(endpoint: str, *, external: bool = False, **values) -> str:
    """The path of `endpoint` (with APP_URL's own path in front, when Leerkring lives under one),
    or with `external` the whole address. Works with only an app context."""
    parts = urlsplit(current_app.config["APP_URL"])
    adapter = current_app.url_map.bind(parts.netloc or "localhost", script_name=parts.path or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=external)
