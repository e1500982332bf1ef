"""A FlaskForm for forms of text fields that never breaks on what a client sends instead of text.

WTForms hands a field whatever the request holds under its name: a file part of a multipart
post (a FileStorage), or a number or list from a JSON body. Validators such as Length then fail
with a TypeError, a 500. TextForm reads only text and puts a clear error beside each field that
came as something else, so the page answers 422 like any other bad input.
"""
from __future__ import annotations

import re

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

_AUTO = object()
NOT_TEXT = _l("Hier hoort tekst, geen bestand of andere gegevens.")

# Control characters no keyboard types (NUL, escape, ...); tab and line breaks stay. PostgreSQL
# cannot store NUL in text at all (a 500), and the rest only ever hides or garbles what is shown.
INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text as a person meant it: without the control characters a keyboard cannot type."""
    return INVISIBLE.sub("", value)


def text_formdata() -> tuple[MultiDict | None, set[str]]:
    """The posted text values, and the names of fields that came as something else."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None, set()
    if request.files or request.form:
        text = MultiDict([(k, clean_text(v)) for k, v in request.form.items(multi=True)])
        return text, set(request.files.keys())
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return MultiDict(), set()
        text = MultiDict([(k, clean_text(v)) for k, v in data.items() if isinstance(v, str)])
        return text, {k for k, v in data.items() if not isinstance(v, str)}
    return None, set()


def database_id(value) -> int:
    """A chosen row (a colleague, a team) as a select's `coerce`: anything that is not a whole
    number an INTEGER column holds is 0, "nothing chosen" (an error beside the field, where a
    huge number would otherwise overflow the database driver: a 500)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


class TextForm(FlaskForm):
    """Use instead of FlaskForm for forms without file fields."""

    def __init__(self, formdata=_AUTO, **kwargs):
        not_text: set[str] = set()
        if formdata is _AUTO:
            formdata, not_text = text_formdata()
        super().__init__(formdata=formdata, **kwargs)
        self._not_text = not_text

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in self._not_text:
            field = self._fields.get(name)
            if field is not None:
                field.errors = [NOT_TEXT]
                valid = False
        return valid
