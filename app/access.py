"""One access layer: who may open what, by one written policy, with every endpoint's rule on record.

The policy
- **404 Not Found** for what a person may not know exists: anything of another organisation, a
  team they are not in, a round they neither take part in nor lead, someone else's passkey,
  device, notification or action, an unknown link. The answer is the one an id that was never
  used gets, so trying ids teaches nothing.
- **403 Forbidden** where they know it exists and lack the role: a member on a lead's page of
  their own team, a lead who does not take part opening a round's content, a participant pressing
  the facilitator's buttons, a member asking a recovery link for a colleague.
- Admin pages of the organisation (new team, audit log) are shown to nobody else, so they are
  404 for everyone but its admins.
- A page that needs a signed-in person sends an anonymous visitor to /inloggen (and back after).

The vocabulary: every view carries exactly one of these decorators, under its route decorator.
It records the rule on the view (`rules(app)` lists every endpoint with its rule; a test fails
for an endpoint without one) and applies the check where it can:

    @access.public                  anyone, signed in or not (the login page, the PWA files)
    @access.token                   anyone holding an unguessable link; the view answers 404
                                    for an unknown token and 410 for a used or expired one
    @access.signed_in               any signed-in person, about their own things; someone else's
                                    item is 404 (use `found`)
    @access.admin                   the organisation's admins; 404 for everyone else
    @access.rule(SUBJECT, "need")   signed in, and the feature's loader for the id in the URL
                                    lets them through (NotFound/Forbidden by the policy); the
                                    view reads what it loaded with `loaded()`

Subjects are declared by the feature that owns them, next to their loader: accounts'
`TEAM` ("member", "lead"), intervisie's `ROUND` ("viewer", "planning", "participant",
"presenter", "facilitator"), feedback's `EXCHANGE` ("party", "asker", "answerer"), buddies'
`SCHEME` ("lead"). Domain exceptions that mean "not allowed" answer through
`answer_with` instead of a try/except in each view.

This module is part of the shell: it imports no feature.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, g
from flask_login import current_user, login_required
from werkzeug.exceptions import Forbidden, HTTPException, NotFound


@dataclass(frozen=True)
class Rule:
    """An endpoint's access rule as the access matrix and the docs name it."""

    name: str          # "public", "token", "signed in", "admin", "team: lead", "round: participant"
    signed_in: bool    # anonymous visitors are sent to /inloggen


PUBLIC = Rule("public", False)
TOKEN = Rule("token", False)
SIGNED_IN = Rule("signed in", True)
ADMIN = Rule("admin", True)


@dataclass(frozen=True)
class Subject:
    """Something a URL names by id, with its owner's loader.

    `load(id, need)` returns the thing (or the person's access to it) or raises NotFound or
    Forbidden by the policy; `needs` are the roles it knows, checked when a view declares one.
    """

    name: str                         # "team", "round"
    arg: str                          # the URL argument holding the id: "team_id"
    load: Callable[[int, str], Any]
    needs: tuple[str, ...]


# Shared policy helpers ---------------------------------------------------------------------

def found(thing):
    """The thing, or 404: for look-ups that answer None when this person may not see it."""
    if thing is None:
        raise NotFound()
    return thing


def deny(*, knows: bool):
    """Refuse by the policy: 403 if the person knows the thing exists, 404 if not."""
    raise Forbidden() if knows else NotFound()


def require(allowed: bool, *, knows: bool = True) -> None:
    """Let the person through, or refuse by the policy (see `deny`)."""
    if not allowed:
        deny(knows=knows)


# The decorators ----------------------------------------------------------------------------

def _record(view, rule: Rule):
    view.access_rule = rule
    return view


def public(view):
    return _record(view, PUBLIC)


def token(view):
    return _record(view, TOKEN)


def signed_in(view):
    return _record(login_required(view), SIGNED_IN)


def admin(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        require(current_user.is_admin, knows=False)
        return view(*args, **kwargs)
    return _record(login_required(guarded), ADMIN)


def rule(subject: Subject, need: str):
    """Signed in, and `subject.load(<id from the URL>, need)` lets the person through."""
    if need not in subject.needs:
        raise ValueError(f"{subject.name} knows no need {need!r} (only {', '.join(subject.needs)})")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            g.access_loaded = subject.load(kwargs[subject.arg], need)
            return view(*args, **kwargs)
        return _record(login_required(guarded), Rule(f"{subject.name}: {need}", True))
    return decorate


def loaded():
    """What the `rule` of this request loaded (a team, a round access, ...)."""
    return g.access_loaded


def rules(app: Flask) -> dict[str, Rule | None]:
    """Every endpoint in the URL map with its recorded rule (None: a view without one)."""
    return {r.endpoint: getattr(app.view_functions[r.endpoint], "access_rule", None)
            for r in app.url_map.iter_rules()}


def answer_with(scope, exception: type[Exception], http: Callable[[Exception], HTTPException]) -> None:
    """Let a domain exception raised in `scope`'s views (a blueprint or the app) answer as the
    HTTP error `http(exc)` returns, with the app's friendly page for that status."""
    scope.register_error_handler(exception, lambda exc: current_app.handle_http_exception(http(exc)))
