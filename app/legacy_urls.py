"""Old English addresses that may live outside the app, sent on to their Dutch successors.

URLs are Dutch (docs/architecture.md, "Language"). Links that people keep elsewhere, such as an
invite, recovery or setup link in a mail or chat, the sign-in page with its `?next=` in a bookmark,
the profile, and the security notification's address stored in a notification row or on a phone,
keep working: a GET answers 301 with the new address and the same query string, and a GET
with an old Dutch query parameter name (`?sjabloon=`) answers 301 with the English one. Only GET: a form
or script posting to an old address is a page from before the deploy, which reloads.
Each redirect is public; the page it leads to applies its own access rule.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Flask, redirect, request, url_for

from app import access

bp = Blueprint("legacy", __name__)

# old rule -> the endpoint that now answers it (same URL variables)
MOVED = {
    "/login": "accounts.login",
    "/setup/<token>": "accounts.setup",
    "/invite/<token>": "accounts.invite",
    "/recover/<token>": "accounts.recover",
    "/profile": "accounts.profile",
    "/profile/gegevens": "accounts.my_data",
    "/profile/security": "accounts.security",
    "/teams/new": "accounts.new_team",
    "/admin/audit-log": "accounts.audit_log",
}

# Query parameters were Dutch in links that may be bookmarked (a plan from a template, feedback
# to a buddy, a case from an idea, the feedback filter); they are English now, like form fields.
RENAMED_ARGS = {"sjabloon": "template", "aan": "to", "collega": "colleague", "idee": "idea"}


def moved_to(endpoint: str):
    def view(**values):
        target = url_for(endpoint, **values)
        query = request.query_string.decode("latin-1")
        return redirect(f"{target}?{query}" if query else target, 301)
    return view


for old_rule, new_endpoint in MOVED.items():
    name = new_endpoint.split(".", 1)[1]
    bp.add_url_rule(old_rule, name, access.public(moved_to(new_endpoint)), methods=["GET"])


@bp.before_app_request
def renamed_query_args():
    """A GET with an old query parameter name: 301 to the same page with the new names."""
    # Raw bytes first: most requests have no old name, and request.args fails on bytes that are
    # not UTF-8; this hook runs for every page, not only those that read their query.
    if request.method != "GET" or request.url_rule is None or not any(
            f"{name}=".encode() in request.query_string for name in RENAMED_ARGS):
        return None
    args = parse_qsl(request.query_string.decode("utf-8", "replace"), keep_blank_values=True)
    if not RENAMED_ARGS.keys() & {key for key, _value in args}:
        return None
    # The page's own address built anew, never the path as sent ("//elsewhere" is another host).
    path = url_for(request.endpoint, **(request.view_args or {}))
    return redirect(f"{path}?{urlencode([(RENAMED_ARGS.get(k, k), v) for k, v in args])}", 301)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
