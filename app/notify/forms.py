"""The notification settings form."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TimeField
from wtforms.validators import InputRequired

from app.form_base import TextForm


class PreferencesForm(TextForm):
    quiet_enabled = BooleanField(_l("Stille uren: geen meldingen buiten werktijd"))
    quiet_evening = TimeField(
        _l("Stil vanaf"), validators=[InputRequired(message=_l("Vul een tijd in, bijvoorbeeld 18:00."))],
        invalid_value_message=_l("Vul een tijd in, bijvoorbeeld 18:00."))
    quiet_morning = TimeField(
        _l("Weer meldingen vanaf"), validators=[InputRequired(message=_l("Vul een tijd in, bijvoorbeeld 08:00."))],
        invalid_value_message=_l("Vul een tijd in, bijvoorbeeld 08:00."))
    quiet_weekends = BooleanField(_l("Ook het hele weekend stil"))
