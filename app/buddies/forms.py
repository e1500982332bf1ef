"""Forms of buddies, with Dutch messages."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.form_base import TextForm, database_id
from app.models_base import utcnow
from app.timezone import AMSTERDAM

WEEKDAYS = [SelectChoice(0, _l("maandag")), SelectChoice(1, _l("dinsdag")), SelectChoice(2, _l("woensdag")),
            SelectChoice(3, _l("donderdag")), SelectChoice(4, _l("vrijdag"))]
STRENGTH = [SelectChoice(0, _l("Niet")), SelectChoice(1, _l("Een beetje")), SelectChoice(2, _l("Gewoon")),
            SelectChoice(3, _l("Sterk"))]


FIRST_ON_WITHIN_DAYS = 365


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SchemeForm(TextForm):
    name = StringField(_l("Naam"), default=_l("Buddy's"), filters=[_strip],
                       validators=[DataRequired(message=_l("Vul een naam in.")),
                                                   Length(max=120, message=_l("Maak het korter: hoogstens %(max)d tekens.", max=120))])
    teams = MultiCheckbox(_l("Teams"), coerce=database_id, validate_choice=False)
    org_wide = BooleanField(_l("De hele organisatie (leren over teams heen)"))
    every_weeks = SelectField(_l("Wissel"), coerce=int, default=6, choices=[
        SelectChoice(w, _l("Elke %(num)d weken", num=w)) for w in (2, 4, 6, 8, 12)])
    weekday = SelectField(_l("Op"), coerce=int, default=0, choices=WEEKDAYS)
    first_on = DateField(_l("Eerste wissel"), validators=[Optional()],
                         invalid_value_message=_l("Kies een datum."))
    mix = RadioField(_l("Ervaren met nieuw mengen"), coerce=int, default=2, choices=STRENGTH)
    cross_team = RadioField(_l("Voorkeur voor buddy's uit een ander team"), coerce=int, default=1, choices=STRENGTH)
    window = IntegerField(_l("Niet opnieuw samen binnen (wissels)"), default=4, validators=[
        InputRequired(message=_l("Vul een aantal wissels in.")),
        NumberRange(min=0, max=12, message=_l("Kies 0 tot 12 wissels."))])
    auto_publish = BooleanField(_l("Automatisch bekendmaken op de dag van de wissel (je hoort het een dag vooraf)"))

    def validate_first_on(self, field):
        # Within a year: later is no plan, and a day near 9999-12-31 leaves no room for the next wissel.
        today = utcnow().astimezone(AMSTERDAM).date()
        if field.data and field.data > today + timedelta(days=FIRST_ON_WITHIN_DAYS):
            raise ValidationError(_l("Kies een datum binnen een jaar."))


class PauseForm(TextForm):
    reason = SelectField(_l("Reden"), choices=[SelectChoice("leave", _l("Verlof")), SelectChoice("holiday", _l("Vakantie")),
                                               SelectChoice("sick", _l("Ziek"))])
    until = DateField(_l("Tot en met"), validators=[InputRequired(message=_l("Kies een datum."))],
                      invalid_value_message=_l("Kies een datum."))


class ExperienceForm(TextForm):
    years = IntegerField(_l("Jaren ervaring in het vak"), validators=[
        Optional(), NumberRange(min=0, max=60, message=_l("Kies 0 tot 60 jaar."))])


class ExcludeForm(TextForm):
    colleague = SelectField(_l("Collega"), coerce=database_id, validate_choice=False)


class OnboardingForm(TextForm):
    newcomer = SelectField(_l("Nieuwe collega"), coerce=database_id, validate_choice=False)
    buddy = SelectField(_l("Inwerkbuddy"), coerce=database_id, validate_choice=False)
