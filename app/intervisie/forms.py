"""Forms of intervisie, with Dutch messages."""
import re
import secrets

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
    TextAreaField, TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.form_base import TextForm
from app.intervisie import methods


def _strip(value):
    return value.strip() if isinstance(value, str) else value


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _single_line(value):
    """Titles and places are one line: control characters (CR, LF, NUL, ...) become spaces. A line
    break would otherwise end up in calendar files and headers."""
    if value is None or isinstance(value, str):
        return value and " ".join(CONTROL.sub(" ", value).split())
    return ""  # e.g. a file part where text belongs


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlanForm(TextForm):
    title = StringField(_l("Titel"), default=_l("Intervisie"), filters=[_single_line],
                        validators=[DataRequired(message=_l("Vul dit in.")), Length(max=120)])
    date = DateField(_l("Datum"), validators=[InputRequired(message=_l("Kies een datum."))],
                     invalid_value_message=_l("Kies een datum."))
    time = TimeField(_l("Begintijd"), validators=[InputRequired(message=_l("Kies een tijd."))],
                     invalid_value_message=_l("Kies een tijd, bijvoorbeeld 14:00."))
    place = StringField(_l("Plaats (niet verplicht)"), filters=[_single_line], validators=[Length(max=200)])
    video_url = StringField(_l("Videolink (niet verplicht)"), filters=[_strip], validators=[
        Optional(), URL(require_tld=True, message=_l("Dit lijkt geen link. Begin met https://")), Length(max=500)])
    method = SelectField(_l("Methode"), choices=[SelectChoice(m.key, m.name) for m in methods.METHODS.values()],
                         default=methods.DEFAULT, validate_choice=True)
    participants = MultiCheckbox(_l("Deelnemers"), coerce=int, validate_choice=False)
    facilitator = SelectField(_l("Gespreksleider"), coerce=int, validate_choice=False)
    presenter = SelectField(_l("Inbrenger"), coerce=int, validate_choice=False)
    repeat_weeks = SelectField(_l("Herhalen"), coerce=int, default=0, choices=[
        SelectChoice(0, _l("Niet herhalen")), SelectChoice(2, _l("Elke 2 weken")),
        SelectChoice(4, _l("Elke 4 weken")), SelectChoice(6, _l("Elke 6 weken")), SelectChoice(8, _l("Elke 8 weken"))])
    repeat_count = IntegerField(_l("Aantal keer"), default=6, validators=[
        Optional(), NumberRange(min=1, max=26, message=_l("Kies 1 tot 26 keer."))])
    save_template = StringField(_l("Bewaar deze tijden als teamsjabloon (naam, niet verplicht)"),
                                filters=[_strip], validators=[Length(max=80)])


class NewPlanForm(PlanForm):
    # A one-time id per rendered form: a second submission of the same form (double click,
    # resend) finds the round the first one made instead of planning it again.
    submission = HiddenField(default=lambda: secrets.token_urlsafe(16), filters=[_single_line], validators=[
        InputRequired(message=_l("Dit formulier is verlopen. Controleer alles en plan opnieuw.")),
        Regexp(r"^[A-Za-z0-9_-]{16,64}$", message=_l("Dit formulier is verlopen. Controleer alles en plan opnieuw."))])


class CaseForm(TextForm):
    help_question = TextAreaField(_l("Je hulpvraag"), filters=[_strip], validators=[
        DataRequired(message=_l("Vul je hulpvraag in.")), Length(max=500)])
    case_text = TextAreaField(_l("Je casus"), filters=[_strip], validators=[Length(max=5000)])
    accept_risk = BooleanField(_l("Ik heb het gecontroleerd: niemand is hierdoor herkenbaar"))


class ReflectionForm(TextForm):
    takeaway = TextAreaField(_l("Wat neem je mee?"), filters=[_strip], validators=[Length(max=2000)])
    action_1 = StringField(_l("Actie"), filters=[_strip], validators=[Length(max=500)])
    action_2 = StringField(_l("Nog een actie (niet verplicht)"), filters=[_strip], validators=[Length(max=500)])
    learning_point = TextAreaField(_l("Jouw leerpunt (alleen voor jou)"), filters=[_strip],
                                   validators=[Length(max=2000)])
    score = RadioField(_l("Hoe was deze ronde? (1 tot 5)"), coerce=int, validators=[Optional()],
                       choices=[SelectChoice(i, str(i)) for i in range(1, 6)], validate_choice=True)
    comment = TextAreaField(_l("Toelichting (niet verplicht)"), filters=[_strip], validators=[Length(max=1000)])


class TeamSettingsForm(TextForm):
    case_retention_days = IntegerField(_l("Casus verwijderen na (dagen)"), validators=[
        InputRequired(message=_l("Vul een aantal dagen in.")),
        NumberRange(min=1, max=30, message=_l("Kies 1 tot 30 dagen."))])
    case_preview_hours = IntegerField(_l("Casus te lezen vanaf (uren voor de ronde)"), validators=[
        InputRequired(message=_l("Vul een aantal uren in.")),
        NumberRange(min=0, max=168, message=_l("Kies 0 tot 168 uur."))])
