"""Naming a person's devices (passkeys, push subscriptions) from the browser that made them."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _


def device_label() -> str:
    """A recognisable name for a device, from the current request's browser."""
    agent = request.user_agent.string.lower()
    for needle, label in (("iphone", "iPhone"), ("ipad", "iPad"), ("android", "Android"),
                          ("mac os", "Mac"), ("windows", "Windows"), ("linux", "Linux")):
        if needle in agent:
            return label
    return _("Apparaat")
