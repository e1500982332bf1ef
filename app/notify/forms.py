"""The notification settings form."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TimeField
from wtforms.validators import InputRequired, ValidationError

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

    def validate_quiet_morning(self, field):
        # Quiet from 08:00 until 08:00 is no quiet at all, or all day: neither is what was meant.
        if self.quiet_enabled.data and field.data is not None and field.data == self.quiet_evening.data:
            raise ValidationError(_l("Kies een ander begin dan einde."))
