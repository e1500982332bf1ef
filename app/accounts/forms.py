"""Forms with Dutch messages (translated through Flask-Babel)."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from app.form_base import TextForm


def _name(label, max_length=120):
    return StringField(label, validators=[
        DataRequired(message=_l("Vul dit in.")),
        Length(max=max_length, message=_l("Maximaal %(max)d tekens.", max=max_length)),
    ], filters=[lambda v: v.strip() if isinstance(v, str) else v])


class SetupForm(TextForm):
    organisation_name = _name(_l("Naam van je organisatie"))
    team_name = _name(_l("Naam van je eerste team"))
    person_name = _name(_l("Je naam"))


class JoinForm(TextForm):
    person_name = _name(_l("Je naam"))


class InviteForm(TextForm):
    email = EmailField(_l("E-mailadres (niet verplicht)"), validators=[
        Optional(), Email(message=_l("Dit lijkt geen e-mailadres. Controleer het even.")),
        Length(max=254),
    ], filters=[lambda v: v.strip() if isinstance(v, str) else v])
    role = RadioField(_l("Rol in het team"), choices=[
        SelectChoice("member", _l("Teamlid")), SelectChoice("lead", _l("Teamleider")),
    ], default="member", validate_choice=True)


class TeamForm(TextForm):
    team_name = _name(_l("Naam van het team"))


class ProfileForm(TextForm):
    person_name = _name(_l("Je naam"))
    locale = RadioField(_l("Taal"), choices=[
        SelectChoice("", _l("Zoals mijn browser")), SelectChoice("nl", "Nederlands"),
        SelectChoice("en", "English"),
    ], default="", validate_choice=True)
