"""Feedback's share of the demo: exchanges after home visits, unasked feedback, a solo reflection,
an open request and an open action. Every name and situation is invented; no client appears."""
from __future__ import annotations

from datetime import datetime, timedelta

from app import actions
from app.feedback.models import ANSWERED, CLOSED, OPEN, REQUEST, SOLO, UNASKED, CaseIdea, Exchange


def fill(session, teams: dict, people: dict, now: datetime) -> None:
    """Exchanges in Wijkteam Noord (hooks.DemoPart)."""
    sanne, fatima, daan, youssef = (people[n].id for n in ("Sanne Bakker", "Fatima Ouali", "Daan Visser",
                                                            "Youssef El Amrani"))
    closed = Exchange(
        kind=REQUEST, status=CLOSED, subject_id=sanne, giver_id=fatima, title="Huisbezoek dinsdag",
        created_at=now - timedelta(days=9), answered_at=now - timedelta(days=8), closed_at=now - timedelta(days=7),
        expires_at=now + timedelta(days=5),
        rules="Ik heb de afspraken van het plan van aanpak nagelopen, maar het veiligheidsplan vergat ik.",
        insights="Ik ging ervan uit dat moeder geen hulp wilde. Misschien wilde ze vooral gehoord worden.",
        principles="Veiligheid van de kinderen tegenover de regie van moeder: ik koos snel voor veiligheid.",
        wish="Vooral: zag jij iets wat ik miste?",
        observed="Je bleef rustig toen de toon scherper werd, en je vatte goed samen.",
        other_reading="Toen moeder opstond, leek het mij eerder schaamte dan boosheid.",
        at_stake="Je liet zien dat je de kinderen voorop zet, en gaf moeder toch ruimte om te kiezen.",
        top="Je samenvatting aan het eind gaf rust.", tip="Benoem vaker wat je ziet, zonder het al op te lossen.",
        takeaway="Ik vul te snel in wat iemand bedoelt. Eerst vragen, dan pas duiden.")
    session.add(closed)
    session.flush()
    actions.add(session, sanne, "Bij het volgende huisbezoek eerst drie open vragen stellen voor ik iets voorstel.",
                source="feedback", source_id=closed.id)
    session.add(CaseIdea(owner_id=sanne, text="Hoe houd ik de regie bij de ouder zonder de veiligheid los te laten?",
                         created_at=now - timedelta(days=7)))
    session.add(Exchange(
        kind=REQUEST, status=OPEN, subject_id=daan, giver_id=sanne, title="Eerste gesprek met een vader",
        created_at=now - timedelta(hours=20), expires_at=now + timedelta(days=13),
        rules="Ik heb de gespreksopzet gevolgd, maar het stuk over school sloeg ik over.",
        insights="Ik merkte dat ik vooral wilde dat hij mij aardig vond.",
        wish="Hoe kwam ik over? Was ik te voorzichtig?"))
    session.add(Exchange(
        kind=UNASKED, status=ANSWERED, subject_id=sanne, giver_id=youssef, title="Teamoverleg woensdag",
        created_at=now - timedelta(days=2), answered_at=now - timedelta(days=2),
        observed="Je bracht je twijfel over de melding open in, terwijl iedereen al ‘ja’ leek te zeggen.",
        at_stake="Zorgvuldigheid boven snelheid: dat hielp het hele team.",
        top="Moedig om het tempo eruit te halen.", tip="Vraag de volgende keer ook wie het anders ziet."))
    session.add(Exchange(
        kind=SOLO, status=ANSWERED, subject_id=sanne, title="Telefoontje met school",
        created_at=now - timedelta(days=1),
        rules="Ik heb vooraf geen toestemming van de ouders nagevraagd. Dat moet eerst.",
        principles="Ik wil transparant zijn naar ouders, ook als het haast heeft."))
