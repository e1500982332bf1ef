"""JSON from clients: what Python's parser accepts but the rest of the app cannot use is invalid.

`json.loads` gives lone surrogates ("\\ud800") for escapes that name no character; such a string
cannot be encoded, so the database driver or a template fails on it (a 500). A deeply nested
body ("[[[[...") makes the parser raise RecursionError, which is no ValueError and so escapes
`request.get_json(silent=True)`. Both become a ValueError here: the request then reads as
"no JSON", like any other malformed body.
"""
from __future__ import annotations

import json

from flask.json.provider import DefaultJSONProvider


def _has_lone_surrogate(data) -> bool:
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs):
        try:
            data = json.loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
        if _has_lone_surrogate(data):
            raise ValueError("JSON text with a lone surrogate")
        return data
