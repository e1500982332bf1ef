"""Notification kinds: each feature registers what it sends through the hooks registry
(`app.hooks`), from its own init_app; notify looks them up here and knows no feature."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from app import hooks
from app.hooks import NotificationKind as Kind

# Notify's own kind: the proof, from the settings page, that pushes reach this device.
TEST = Kind(
    "test", _l("Testmelding"), _l("Een proefmelding die je zelf verstuurt vanuit de instellingen."),
    ttl=timedelta(minutes=10), urgency="high", quiet_hours=False, optional=False,
)


def get(key: str) -> Kind:
    return hooks.of().kinds[key]


def find(key: str) -> Kind | None:
    return hooks.of().kinds.get(key)


def optional_kinds() -> list[Kind]:
    return [k for k in hooks.of().kinds.values() if k.optional]
