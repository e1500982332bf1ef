"""Intervisie's share of the demo: a finished round with a case, rated questions, helpful advice,
a takeaway and an open action, and two planned rounds. Every name and case is invented."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from app import actions as personal_actions
from app.accounts.models import Team
from app.intervisie import methods
from app.intervisie.models import CaseText, Contribution, Participant, Reflection, Round
from app.timezone import AMSTERDAM

PAST_QUESTIONS = [
    ("Youssef El Amrani", "Wat wilde je op dat moment het liefst doen?", "warm"),
    ("Daan Visser", "Wie was er verder bij het gesprek?", "lauw"),
    ("Fatima Ouali", "Wat zegt je gevoel over de veiligheid van de kinderen?", "warm"),
    ("Joris Hendriks", "Hoe lang ken je dit gezin al?", "koud"),
]
PAST_ADVICE = [
    ("Fatima Ouali", "Benoem hardop wat je ziet, zonder oordeel, en vraag wat zij nodig heeft.", True),
    ("Youssef El Amrani", "Spreek met je gedragswetenschapper af wanneer je opschaalt.", True),
    ("Joris Hendriks", "Plan het volgende huisbezoek samen met een collega.", False),
]


def _local(day: datetime, hour: int) -> datetime:
    return datetime.combine(day.date(), time(hour, 0), tzinfo=AMSTERDAM).astimezone(timezone.utc)


def _round(session, team: Team, people: dict, *, title, starts_at, method_key, roles, status="planned"):
    method = methods.get(method_key)
    rnd = Round(team_id=team.id, title=title, starts_at=starts_at, place="Kamer 2.14, De Schakel",
                method_key=method_key, minutes=method.default_minutes(), status=status,
                phase_index=-1 if status == "planned" else len(method.steps) - 1, revealed=[], version=1,
                finished_at=starts_at + timedelta(minutes=sum(method.default_minutes())) if status == "finished" else None)
    for name, role in roles.items():
        rnd.participants.append(Participant(person_id=people[name].id, role=role,
                                            rsvp="yes" if status == "finished" else None))
    session.add(rnd)
    session.flush()
    return rnd


def fill(session, teams: dict, people: dict, now: datetime) -> None:
    """Rounds of Wijkteam Noord (hooks.DemoPart)."""
    team = teams["Wijkteam Noord"]
    everyone = {"Marieke de Vries": "facilitator", "Sanne Bakker": "presenter", "Youssef El Amrani": "participant",
                "Daan Visser": "participant", "Fatima Ouali": "participant", "Joris Hendriks": "participant"}
    past = _round(session, team, people, title="Intervisie oktober", starts_at=_local(now - timedelta(days=3), 14),
                  method_key="incident", roles=everyone, status="finished")
    session.add(CaseText(round_id=past.id, author_id=people["Sanne Bakker"].id,
                         help_question="Hoe blijf ik in contact met een moeder die elk gesprek afkapt?",
                         case_text="Bij een huisbezoek liep een moeder na tien minuten weg uit het gesprek. "
                                   "Ik twijfelde of ik moest doorzetten of een nieuwe afspraak moest maken."))
    for name, text, rating in PAST_QUESTIONS:
        session.add(Contribution(round_id=past.id, phase_index=2, kind="question", author_id=people[name].id,
                                 text=text, rating=rating))
    for name, text, helpful in PAST_ADVICE:
        session.add(Contribution(round_id=past.id, phase_index=4, kind="advice", author_id=people[name].id,
                                 text=text, helpful=helpful))
    session.add(Reflection(round_id=past.id, person_id=people["Sanne Bakker"].id,
                           takeaway="Ik mag vaker hardop benoemen wat ik zie.", score=5,
                           learning_point="Ik wil het te snel oplossen."))
    session.flush()
    personal_actions.add(session, people["Sanne Bakker"].id,
                         "Volgende week samen met Fatima op huisbezoek en vooraf bespreken wanneer we opschalen.",
                         source="intervisie", source_id=past.id)
    nxt = dict(everyone)
    nxt.update({"Sanne Bakker": "participant", "Daan Visser": "presenter"})
    upcoming = _round(session, team, people, title="Intervisie november", starts_at=_local(now + timedelta(days=6), 14),
                      method_key="incident", roles=nxt)
    session.add(CaseText(round_id=upcoming.id, author_id=people["Daan Visser"].id,
                         help_question="Hoe zeg ik tegen een vader dat ik me zorgen maak, zonder dat hij dichtklapt?",
                         case_text="Een vader vertelde dat het thuis ‘gewoon goed gaat’. Ik zag iets anders."))
    gossip = {"Fatima Ouali": "facilitator", "Youssef El Amrani": "participant", "Joris Hendriks": "participant",
              "Marieke de Vries": "participant", "Daan Visser": "participant"}
    _round(session, team, people, title="Korte intervisie", starts_at=_local(now + timedelta(days=20), 10),
           method_key="roddel", roles=gossip)
