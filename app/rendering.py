"""One answer for a page and its htmx update: the whole page, or just the block htmx swaps in."""
from __future__ import annotations

from flask import Response, render_template, request
from jinja2_fragments.flask import render_block


def wants_block() -> bool:
    """An htmx request that swaps part of the page. htmx 4 says so in `HX-Request-Type`:
    "partial", or "full" when it targets the whole body or selects from a whole page (a boosted
    link), which then gets the page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Request-Type") != "full"


def page_or_block(template: str, block: str, *, status: int = 200, **context) -> Response:
    """`template` rendered whole for a browser, or only its `block` for an htmx swap."""
    if wants_block():
        return block_response(render_block(template, block, **context), status)
    return block_response(render_template(template, **context), status)


def block_response(body: str, status: int = 200) -> Response:
    """An answer that differs between a page and its htmx block (for a block rendered elsewhere,
    e.g. from a cache)."""
    response = Response(body, status)
    response.vary.update(("HX-Request", "HX-Request-Type"))  # one URL, two answers: caches must tell them apart
    return response
