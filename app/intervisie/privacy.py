"""Intervisie's share of privacy: "Mijn gegevens", account deletion and the privacy page.

What a person wrote is theirs: the export holds only their own rounds, writing, reflections,
learning points and actions, never what others wrote in those rounds. Deleting an account
removes that writing; in rounds that took place their seat stays, without a person, so the
round, its counts and the live history stay whole for the others.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from app.accounts.models import Team
from app import retention
from app.hooks import ExportPart, Retention
from app.intervisie import phases
from app.intervisie.models import (
    DEFAULT_PREVIEW_HOURS, DEFAULT_RETENTION_DAYS, CalendarFeed, CaseText, Contribution,
    Participant, Reflection, Round, Series,
)
from app.intervisie.services import PLAN_HORIZON
from app.models_base import utcnow


def logged(what: str, purge):
    """A retention job that logs how many it removed (a count, never a name or text)."""
    return retention.logged_job("intervisie", lambda session, now: {what: purge(session, now)})


ROLES = {phases.FACILITATOR: _l("Gespreksleider"), phases.PRESENTER: _l("Inbrenger"),
         phases.PARTICIPANT: _l("Deelnemer")}
RSVP = {"yes": _l("komt"), "no": _l("komt niet"), "maybe": _l("misschien"), None: _l("nog geen antwoord")}
ITEM_KINDS = {"question": _l("Vraag"), "advice": _l("Advies"), "core": _l("Kern"), "association": _l("Associatie"),
              "vote": _l("Stem"), "note": _l("Bijdrage")}


def _label(table: dict, key) -> str:
    return str(table[key]) if key in table else str(key)


def _round_titles(session, round_ids) -> dict[int, str]:
    ids = set(round_ids)
    if not ids:
        return {}
    return dict(session.execute(select(Round.id, Round.title).where(Round.id.in_(ids))).all())


def export_rounds(session, person) -> list[dict]:
    rows = session.execute(
        select(Round, Participant, Team.name).join(Participant, Participant.round_id == Round.id)
        .join(Team, Team.id == Round.team_id)
        .where(Participant.person_id == person.id).order_by(Round.starts_at)).all()
    return [{"title": rnd.title, "team": team, "starts_at": rnd.starts_at, "role": _label(ROLES, p.role),
             "rsvp": _label(RSVP, p.rsvp), "cancelled": rnd.cancelled_at is not None}
            for rnd, p, team in rows]


def export_contributions(session, person) -> list[dict]:
    items = list(session.scalars(select(Contribution).where(Contribution.author_id == person.id)
                                 .order_by(Contribution.created_at, Contribution.id)))
    titles = _round_titles(session, (i.round_id for i in items))
    return [{"round": titles.get(i.round_id), "kind": _label(ITEM_KINDS, i.kind), "text": i.text,
             "created_at": i.created_at} for i in items]


def export_cases(session, person) -> list[dict]:
    cases = list(session.scalars(select(CaseText).where(CaseText.author_id == person.id)))
    titles = _round_titles(session, (c.round_id for c in cases))
    return [{"round": titles.get(c.round_id), "help_question": c.help_question, "case_text": c.case_text,
             "updated_at": c.updated_at} for c in cases]


def export_reflections(session, person) -> list[dict]:
    rows = list(session.scalars(select(Reflection).where(Reflection.person_id == person.id)))
    titles = _round_titles(session, (r.round_id for r in rows))
    return [{"round": titles.get(r.round_id), "takeaway": r.takeaway, "learning_point": r.learning_point,
             "score": r.score, "comment": r.comment, "updated_at": r.updated_at} for r in rows]


def export_calendar(session, person) -> dict:
    """Whether a private calendar link exists; its token is never stored, only a hash."""
    feed = session.get(CalendarFeed, person.id)
    return {"exists": feed is not None, "created_at": feed.created_at if feed else None}


EXPORTS = (
    ExportPart("intervisie_rounds", _l("Rondes waar je aan meedeed"), export_rounds,
               {"cancelled": _l("Afgelast"), "rsvp": _l("Je antwoord")}),
    ExportPart("intervisie_contributions", _l("Je vragen, adviezen en andere bijdragen"), export_contributions),
    ExportPart("intervisie_cases", _l("Casussen die je schreef"), export_cases,
               {"help_question": _l("Hulpvraag"), "case_text": _l("Casus")}),
    ExportPart("intervisie_reflections", _l("Je reflecties en leerpunten"), export_reflections,
               {"takeaway": _l("Wat neem je mee"), "learning_point": _l("Leerpunt"), "score": _l("Cijfer"),
                "comment": _l("Toelichting bij je evaluatie")}),
    ExportPart("intervisie_calendar", _l("Je agendalink"), export_calendar),
)


def took_place(rnd: Round, now: datetime) -> bool:
    return rnd.cancelled_at is None and (rnd.status != phases.PLANNED or rnd.starts_at <= now)


def erase(session, person) -> None:
    """The person's own writing goes; their seat in rounds that took place stays, anonymous.

    Deleted: cases they wrote, their questions, advice and other contributions, reflections
    (takeaway, learning point, evaluation), their calendar link (their actions go with the shared
    personal actions, app/actions.py), and their place in
    rounds still to come or cancelled. Kept without a person: their place (role, RSVP) in rounds
    that took place, so the others' round page, counts and history stay as they were.
    """
    now = utcnow()
    options = {"synchronize_session": False}
    touched = set(session.scalars(select(Participant.round_id).where(Participant.person_id == person.id)))
    for model, column in ((CaseText, CaseText.author_id), (Contribution, Contribution.author_id),
                          (Reflection, Reflection.person_id),
                          (CalendarFeed, CalendarFeed.person_id)):
        session.execute(delete(model).where(column == person.id), execution_options=options)
    for rnd_id in touched:
        rnd = session.get(Round, rnd_id)
        seat = select(Participant.id).where(Participant.round_id == rnd_id, Participant.person_id == person.id)
        if took_place(rnd, now):
            session.execute(update(Participant).where(Participant.id.in_(seat)).values(person_id=None),
                            execution_options=options)
        else:
            session.execute(delete(Participant).where(Participant.id.in_(seat)), execution_options=options)
    for model in (Round, Series):
        session.execute(update(model).where(model.created_by_id == person.id).values(created_by_id=None),
                        execution_options=options)
    if touched:  # the others' pages show the change on their next look
        session.execute(update(Round).where(Round.id.in_(touched)).values(version=Round.version + 1),
                        execution_options=options)
    session.flush()
    session.expire_all()  # loaded rounds and seats are stale after the bulk statements


RETENTION = (
    Retention("rounds", _l("Rondes: titel, datum, plaats, methode, wie meedoet en hun antwoord"),
              _l("De deelnemers van de ronde, en de teamleiders (alleen de planning, nooit de inhoud)."),
              lambda _config: _("Zolang het team bestaat. Rondes worden tot %(days)s vooruit gepland.",
                                days=retention.days(PLAN_HORIZON.days)), order=20),
    Retention("cases", _l("Casus en hulpvraag, en de vragen en adviezen in een ronde"),
              _l("Alleen de deelnemers van de ronde; de casus vanaf %(hours)d uur voor de ronde "
                 "(teaminstelling), de inbrenger altijd.", hours=DEFAULT_PREVIEW_HOURS),
              lambda _config: _("%(days)s na de ronde verwijderd (standaard; een team kiest zelf 1 tot 30 dagen).",
                                days=retention.days(DEFAULT_RETENTION_DAYS)), order=21),
    Retention("reflections", _l("Je leerpunt, je evaluatie van de ronde en (als inbrenger) wat je meeneemt"),
              _l("Alleen jij."), lambda _config: _("Tot je je account verwijdert."), order=22),
    Retention("actions", _l("Je acties na een ronde"),
              _l("Jij, en in de volgende ronde de deelnemers die ook in jouw ronde zaten."),
              lambda _config: _("Tot je je account verwijdert."), order=23),
    Retention("calendar", _l("Je agendalink (alleen een controlegetal, de link zelf niet)"),
              _l("Wie de link heeft: deel hem niet."),
              lambda _config: _("Tot je hem intrekt of je account verwijdert."), order=24),
)
