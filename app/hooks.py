"""The seams through which a feature plugs into the shell.

Every feature package (accounts, notify, intervisie, and the ones after them) fills this one
registry from its own `init_app`: what it adds to the bottom navigation, the notifications it
sends, its scheduled jobs, its cards on Vandaag, its share of a person's data export and of
account deletion, its lines on the privacy page (what it keeps and how long), and its share of
the demo data. The shell (`app/__init__.py`, `app/web.py`), accounts and notify read the
registry and import no feature, so adding a feature means adding a package that registers itself.

The registry lives on the app (`app.extensions["hooks"]`), not in module globals: every app the
tests create has its own, and nothing leaks from one to the next.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app


@dataclass(frozen=True)
class NavItem:
    """An area in the bottom navigation; `order` sorts them left to right."""

    endpoint: str
    label: object
    icon: str          # templates/_partials/icon_<icon>.html
    order: int


@dataclass(frozen=True)
class NotificationKind:
    """What a feature sends: shown in the settings and explained before permission is asked."""

    key: str
    label: object             # shown in the settings, translated
    explanation: object       # what this notification is for, shown before asking permission
    ttl: timedelta            # how long a push service keeps it for an offline phone
    urgency: str = "normal"   # Web Push Urgency: very-low, low, normal, high
    quiet_hours: bool = True  # waits for the end of quiet hours
    optional: bool = True     # the person may switch it off


@dataclass(frozen=True)
class Job:
    """Work the notification worker runs every `interval` (reminders, retention).

    `run(session, now)` adds and flushes; the worker commits after each job, so one failing job
    never takes another's work with it. Jobs must be idempotent: several workers may run.
    """

    name: str
    run: Callable[[Any, datetime], None]
    interval: timedelta


# Vandaag puts the next thing to do first. A card takes the band of what it asks of the person,
# so the order holds across features without any of them knowing the others.
TODAY_NOW = 10       # happening now or soon and needing me: a live or near round
TODAY_ANSWER = 20    # someone waits for my answer: a feedback request
TODAY_PEOPLE = 30    # my buddy
TODAY_ACTIONS = 40   # what I promised myself
TODAY_LATER = 60     # the rest: later rounds, my teams
# Last: hints that only the browser can decide on (switching on notifications, the home screen),
# rendered hidden and shown by app.js after the page has loaded. Below everything else, their
# appearing moves nothing that is already on screen (no layout shift).
TODAY_DEVICE = 90


@dataclass(frozen=True)
class TodayCard:
    """A card on Vandaag. `load(session, person, now)` returns the template's context, or None
    when there is nothing to show; `template` is included with that context as `card`. `order`
    is one of the TODAY_ bands above (plus a little, to order cards within a band)."""

    key: str
    template: str
    load: Callable[[Any, Any, datetime], dict | None]
    order: int


@dataclass(frozen=True)
class ExportPart:
    """A feature's share of "Mijn gegevens" (the JSON download and the readable page).

    `collect(session, person)` returns plain data: dicts, lists, str, int, float, bool, None and
    datetimes (written as ISO 8601 in the JSON). Only what is about this person or written by
    them, never another person's private writing. `labels` (optional) names the keys of the
    data for the readable page, translated (`{"created_at": _l("Gemaakt")}`); common keys have
    labels already (app/accounts/privacy.py).
    """

    key: str
    title: object
    collect: Callable[[Any, Any], Any]
    labels: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Eraser:
    """A feature's share of account deletion: `erase(session, person)` removes or anonymises what
    belongs to the person, before the person row itself goes."""

    key: str
    erase: Callable[[Any, Any], None]


@dataclass(frozen=True)
class ProfileLink:
    """A link on the profile page to a feature's personal settings or history."""

    endpoint: str
    label: object
    order: int


@dataclass(frozen=True)
class Retention:
    """A line of the privacy page: what a feature keeps, who sees it and for how long.

    `period(config)` returns the translated "how long", read from the same setting the
    feature's own clean-up job uses, so the page cannot drift from what the code does.
    """

    key: str
    what: object
    who: object
    period: Callable[[Any], str]
    order: int = 50


@dataclass(frozen=True)
class DemoPart:
    """A feature's share of `flask demo`: `fill(session, teams, people, now)` adds fictional data
    for the demo organisation's teams and people (dicts by name)."""

    key: str
    fill: Callable[[Any, dict, dict, datetime], None]


@dataclass(frozen=True)
class SignInColumn:
    """A value every page shows about the signed-in person (the unread badge), read by the
    sign-in's own query instead of by one more query per page. `column(person_id)` gets the
    person's id column and returns a scalar SQL expression (a correlated scalar subquery); the
    value is on the person as `sign_in_values[key]`. Make `column` a module-level function: the
    sign-in's statement is built once per set of columns."""

    key: str
    column: Callable[[Any], Any]


@dataclass
class Hooks:
    nav: list[NavItem] = field(default_factory=list)
    kinds: dict[str, NotificationKind] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    cards: list[TodayCard] = field(default_factory=list)
    exports: list[ExportPart] = field(default_factory=list)
    erasers: list[Eraser] = field(default_factory=list)
    retention: list[Retention] = field(default_factory=list)
    demos: list[DemoPart] = field(default_factory=list)
    profile_links: list[ProfileLink] = field(default_factory=list)
    sign_in_columns: tuple[SignInColumn, ...] = ()
    # Answers one feature offers another without either importing the other, by name. Known:
    # "current_buddies": (session, person_id) -> list of person ids (buddies, for feedback's form).
    # "case_ideas": (session, person_id) -> list of {"id", "text"}: themes a person noted to bring
    #   to intervisie (feedback's "Inbrengen bij intervisie"), offered when they prepare a case.
    lookups: dict[str, Callable] = field(default_factory=dict)

    def add_nav(self, item: NavItem) -> None:
        self.nav.append(item)
        self.nav.sort(key=lambda i: i.order)

    def add_kind(self, kind: NotificationKind) -> NotificationKind:
        if kind.key in self.kinds:
            raise ValueError(f"notification kind {kind.key!r} registered twice")
        self.kinds[kind.key] = kind
        return kind

    def add_job(self, job: Job) -> None:
        self.jobs.append(job)

    def add_card(self, card: TodayCard) -> None:
        self.cards.append(card)
        self.cards.sort(key=lambda c: c.order)

    def add_export(self, part: ExportPart) -> None:
        self.exports.append(part)

    def add_eraser(self, eraser: Eraser) -> None:
        self.erasers.append(eraser)

    def add_profile_link(self, link: ProfileLink) -> None:
        self.profile_links.append(link)
        self.profile_links.sort(key=lambda link: link.order)

    def add_retention(self, rule: Retention) -> None:
        self.retention.append(rule)
        self.retention.sort(key=lambda r: r.order)

    def add_demo(self, part: DemoPart) -> None:
        self.demos.append(part)

    def add_sign_in_column(self, column: SignInColumn) -> None:
        self.sign_in_columns = (*self.sign_in_columns, column)

    def provide(self, name: str, answer: Callable) -> None:
        self.lookups[name] = answer

    def lookup(self, name: str) -> Callable | None:
        """The answer another feature provides, or None when that feature is not installed."""
        return self.lookups.get(name)


def init_app(app: Flask) -> Hooks:
    hooks = Hooks()
    app.extensions["hooks"] = hooks
    return hooks


def of(app: Flask | None = None) -> Hooks:
    """The registry of this app (or of the current one)."""
    return (app or current_app).extensions["hooks"]
