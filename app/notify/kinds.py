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

# Intervisie
ROUND_PLANNED = register(Kind(
    "round_planned", _l("Nieuwe intervisie"), _l("Je bent uitgenodigd voor een intervisieronde."),
    ttl=timedelta(days=3)))
ROUND_CHANGED = register(Kind(
    "round_changed", _l("Intervisie gewijzigd"), _l("Een ronde waar je aan meedoet is verplaatst of aangepast."),
    ttl=timedelta(days=2)))
ROUND_CANCELLED = register(Kind(
    "round_cancelled", _l("Intervisie afgelast"), _l("Een ronde waar je aan meedoet gaat niet door."),
    ttl=timedelta(days=2), urgency="high"))
ROUND_REMINDER = register(Kind(
    "round_reminder", _l("Herinnering"), _l("Een herinnering op de ochtend van de ronde en een uur vooraf."),
    ttl=timedelta(hours=12)))
ROUND_STARTED = register(Kind(
    "round_started", _l("De ronde begint"), _l("De gespreksleider is begonnen: één tik en je doet mee."),
    ttl=timedelta(hours=2), urgency="high"))
CASE_REMOVED = register(Kind(
    "case_removed", _l("Casus verwijderd"),
    _l("Je bent niet meer de inbrenger van een ronde; je voorbereide casus is daarom verwijderd."),
    ttl=timedelta(days=2), optional=False))
OPEN_ACTION = register(Kind(
    "open_action", _l("Open actie"), _l("Voor de volgende ronde: de actie die je jezelf gaf."),
    ttl=timedelta(days=2), urgency="low"))
