"""Fictional demo data: a Dutch youth-care organisation with two teams.

Every name here is invented. Later features add their own demo data through `fill_demo`.
"""
from __future__ import annotations

from app.accounts import services
from app.accounts.models import Membership, Organisation, Person, Role, Team

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


def fill_demo(session, invite_days: int) -> list[tuple[str, str]]:
    """Create the organisation and people; return (label, token) invite links to print."""
    organisation = Organisation(name="Jeugdzorg Rivierenland")
    session.add(organisation)
    teams = {}
    for team_name, people in PEOPLE.items():
        team = Team(name=team_name, organisation=organisation)
        teams[team_name] = team
        for name, years, role in people:
            person = Person(name=name, organisation=organisation, experience_years=years,
                            is_admin=name == "Petra Jansen")
            session.add(Membership(person=person, team=team, role=role))
    session.flush()
    north = teams["Wijkteam Noord"]
    invites = [
        ("Teamleider (Wijkteam Noord)", Role.LEAD, "teamleider@demo.leerkring.nl"),
        ("Teamlid (Wijkteam Noord)", Role.MEMBER, "lid1@demo.leerkring.nl"),
        ("Teamlid (Wijkteam Noord)", Role.MEMBER, "lid2@demo.leerkring.nl"),
    ]
    return [
        (label, services.issue_invite(session, team=north, role=role, make_admin=False, email=email,
                                      created_by=None, days=invite_days).token)
        for label, role, email in invites
    ]
