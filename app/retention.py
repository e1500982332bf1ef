"""What every feature's clean-up job shares: it logs how much it removed (counts only, never a
name or a text), and the privacy page says its periods in the same words."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask_babel import ngettext

log = logging.getLogger("app.retention")


def logged_job(feature: str, purge: Callable[[object, datetime], dict[str, int]]):
    """A hooks.Job run function: `purge(session, now)` returns {what: how many removed}."""
    def run(session, now: datetime) -> None:
        counts = purge(session, now)
        log.info("retention %s: %s", feature, " ".join(f"{k}={v}" for k, v in counts.items()))
    return run


def days(n: int) -> str:
    """A retention period as the privacy page says it ("7 dagen")."""
    return ngettext("%(num)d dag", "%(num)d dagen", n)
