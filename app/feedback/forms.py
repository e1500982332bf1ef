"""Forms of feedback, with Dutch messages. Every form carries the id the phone made for it."""
from __future__ import annotations

import re
import uuid

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.form_base import TextForm, database_id

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
SHORT = 1000


def _strip(value):
    """Trimmed text; a field the post left out is empty text, never None (the columns are NOT NULL)."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


def is_client_id(value) -> bool:
    """A phone's id as crypto.randomUUID makes it; anything else is never looked up."""
    # fullmatch: "$" would let a trailing line break through, one character too many for the column.
    return isinstance(value, str) and bool(UUID.fullmatch(value))


def _client_id(form, field):
    if not is_client_id(field.data):
        raise ValidationError(_l("Er ging iets mis met dit formulier. Vernieuw de pagina en verstuur opnieuw."))


def _text(label, max_length=SHORT):
    return TextAreaField(label, filters=[_strip], validators=[
        Length(max=max_length, message=_l("Maak het korter: hoogstens %(max)d tekens.", max=max_length))])


class FeedbackForm(TextForm):
    # Made on the phone (crypto.randomUUID); the server makes one for a browser without script.
    client_id = HiddenField(default=lambda: str(uuid.uuid4()), validators=[_client_id])
    accept_risk = BooleanField(_l("Ik heb het gecontroleerd: niemand is hierdoor herkenbaar"))

    def texts(self) -> str:
        """Everything typed, for the recognisability check."""
        return "\n".join(f.data for f in self if isinstance(f, (StringField, TextAreaField))
                         and not isinstance(f, HiddenField) and isinstance(f.data, str) and f.data)


class ReflectionForm(FeedbackForm):
    """Ask a colleague (with `colleague`) or reflect alone (without)."""

    colleague = SelectField(_l("Aan wie vraag je het?"), coerce=database_id, validate_choice=False)
    title = StringField(_l("Over welk moment?"), filters=[_strip], validators=[
        DataRequired(message=_l("Geef het moment een korte titel, bijvoorbeeld ‘huisbezoek dinsdag’.")),
        Length(max=120, message=_l("Maak het korter: hoogstens %(max)d tekens.", max=120))])
    rules = _text(_l("Regels: deed ik het goed?"))
    insights = _text(_l("Inzichten: deed ik het goede?"))
    principles = _text(_l("Principes: deed ik het om de goede redenen?"))
    wish = _text(_l("Wat voor feedback wil je? (niet verplicht)"), 500)

    def validate_rules(self, field):
        if not (self.rules.data or self.insights.data or self.principles.data):
            raise ValidationError(_l("Schrijf bij minstens één van de drie iets, al is het één zin."))


class AnswerForm(FeedbackForm):
    observed = _text(_l("Wat zag je gebeuren?"))
    other_reading = _text(_l("Hoe kun je het ook zien?"))
    at_stake = _text(_l("Welke waarden speelden mee?"))
    top = _text(_l("Top: wat ging goed?"), 500)
    tip = _text(_l("Tip: wat kan anders?"), 500)

    def validate_observed(self, field):
        if not any((self.observed.data, self.other_reading.data, self.at_stake.data, self.top.data, self.tip.data)):
            raise ValidationError(_l("Vul minstens één veld in."))


class GiveForm(AnswerForm):
    """Feedback nobody asked for: to whom, about which moment, and the same fields as an answer."""

    colleague = SelectField(_l("Aan wie geef je feedback?"), coerce=database_id, validate_choice=False)
    title = StringField(_l("Over welk moment?"), filters=[_strip], validators=[
        DataRequired(message=_l("Geef het moment een korte titel, bijvoorbeeld ‘huisbezoek dinsdag’.")),
        Length(max=120, message=_l("Maak het korter: hoogstens %(max)d tekens.", max=120))])


class CloseForm(FeedbackForm):
    takeaway = _text(_l("Wat neem je mee?"), 2000)
    action = StringField(_l("Eén concrete actie"), filters=[_strip], validators=[
        DataRequired(message=_l("Schrijf één stap die je gaat zetten.")),
        Length(max=500, message=_l("Maak het korter: hoogstens %(max)d tekens.", max=500))])
