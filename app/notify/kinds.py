"""The registry of notification kinds. A feature adds its kinds here, in one place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    key: str
    label: object             # shown in the settings, translated
    explanation: object       # what this notification is for, shown before asking permission
    ttl: timedelta            # how long a push service keeps it for an offline phone
    urgency: str = "normal"   # Web Push Urgency: very-low, low, normal, high
    quiet_hours: bool = True  # waits for the end of quiet hours
    optional: bool = True     # the person may switch it off


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.key] = kind
    return kind


def get(key: str) -> Kind:
    return KINDS[key]


def optional_kinds() -> list[Kind]:
    return [k for k in KINDS.values() if k.optional]


TEST = register(Kind(
    "test", _l("Testmelding"), _l("Een proefmelding die je zelf verstuurt vanuit de instellingen."),
    ttl=timedelta(minutes=10), urgency="high", quiet_hours=False, optional=False,
))
INVITE_ACCEPTED = register(Kind(
    "invite_accepted", _l("Uitnodiging geaccepteerd"),
    _l("Voor teamleiders: een collega heeft je uitnodiging aangenomen."),
    ttl=timedelta(days=2), urgency="low",
))
