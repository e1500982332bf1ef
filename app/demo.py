"""Fictional demo data: a Dutch youth-care organisation with two teams; features add their share.

Every name and every case here is invented. The printed links let a newcomer become one of the
demo people (a team lead and two members) with a passkey of their own, so they see a living app.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.accounts import services
from app.accounts.models import LinkPurpose, Membership, Organisation, Person, Role, Team

PEOPLE = {
    "Wijkteam Noord": [
        ("Marieke de Vries", 14, Role.LEAD), ("Youssef El Amrani", 3, Role.MEMBER),
        ("Sanne Bakker", 8, Role.MEMBER), ("Daan Visser", 1, Role.MEMBER),
        ("Fatima Ouali", 21, Role.MEMBER), ("Joris Hendriks", 5, Role.MEMBER),
    ],
    "Jeugdbescherming Zuid": [
        ("Petra Jansen", 18, Role.LEAD), ("Milan Smit", 2, Role.MEMBER),
        ("Esra Yilmaz", 11, Role.MEMBER), ("Thomas Mulder", 6, Role.MEMBER),
        ("Lotte van Dijk", 0, Role.MEMBER), ("Ruben Kok", 26, Role.MEMBER),
    ],
}


def fill_demo(session, invite_days: int, parts=()) -> list[tuple[str, str]]:
    """Create the organisation and its people, let each feature add its share (hooks.DemoPart),
    and return (label, path) links to print."""
    organisation = Organisation(name="Jeugdzorg Rivierenland")
    session.add(organisation)
    teams: dict[str, Team] = {}
    people: dict[str, Person] = {}
    for team_name, members in PEOPLE.items():
        team = Team(name=team_name, organisation=organisation)
        teams[team_name] = team
        for name, years, role in members:
            person = Person(name=name, organisation=organisation, experience_years=years,
                            is_admin=name == "Petra Jansen")
            people[name] = person
            session.add(Membership(person=person, team=team, role=role))
    session.flush()
    now = datetime.now(timezone.utc)
    for part in parts:
        part.fill(session, teams, people, now)
    claims = [("Teamleider Marieke de Vries (Wijkteam Noord)", "Marieke de Vries"),
              ("Teamlid Daan Visser (brengt in bij de volgende ronde)", "Daan Visser"),
              ("Teamlid Sanne Bakker", "Sanne Bakker")]
    links = []
    for label, name in claims:
        issued = services.issue_link(session, LinkPurpose.RECOVERY, timedelta(days=invite_days),
                                     organisation_id=organisation.id, person_id=people[name].id)
        links.append((label, f"/herstel/{issued.token}"))
    return links
