"""The reasons of a group in plain words, in the reader's language (codes from matching.py)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext


def reason_text(code: list | tuple) -> str:
    key, *args = code
    if key == "trio":
        return _("trio, want het aantal is oneven")
    if key == "locked":
        return _("vastgezet")
    if key == "onboarding":
        return _("inwerkbuddy")
    if key == "experience_mix":
        return _("ervaren + nieuw")
    if key == "experience_gap":
        return ngettext("%(num)d jaar verschil in ervaring", "%(num)d jaar verschil in ervaring", args[0])
    if key == "cross_team":
        return _("verschillende teams")
    if key == "same_team":
        return _("zelfde team")
    if key == "never_paired":
        return _("nog nooit gekoppeld")
    if key == "paired_before":
        return ngettext("%(num)d wissel geleden samen", "%(num)d wissels geleden samen", args[0])
    if key == "repeat":
        return _("opnieuw samen: geen andere indeling mogelijk")
    return ""


def explain(codes: list, onboarding: bool = False) -> str:
    """"ervaren + nieuw, verschillende teams, nog nooit gekoppeld"."""
    if onboarding:
        codes = [["onboarding"]] + [c for c in codes if c[0] != "locked"]
    return ", ".join(t for t in (reason_text(c) for c in codes) if t)


def N_(text: str) -> str:
    """Marks a string for translation; it is translated where it is shown."""
    return text


QUESTIONS = (
    N_("Wat ging er laatst goed in je werk, en wat deed jij daarvoor?"),
    N_("Op welk gesprek ben je trots?"),
    N_("Wat wil je dit halfjaar leren?"),
    N_("Wie heeft jou geholpen toen je net begon?"),
    N_("Wat geeft je energie in je werk?"),
    N_("Welke situatie wil je eens samen bespreken?"),
)


def first_questions(seed: int) -> list[str]:
    """Three appreciative first questions, a different set per group."""
    start = seed % len(QUESTIONS)
    return [_(QUESTIONS[(start + i) % len(QUESTIONS)]) for i in range(3)]
