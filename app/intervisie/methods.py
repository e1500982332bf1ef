"""The intervision methods that ship with Leerkring, each a list of phases (DOMAIN.md).

A round keeps only its method's key and its own minutes per phase; names, explanations and
"what is expected of you" come from here, so they follow the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.intervisie.phases import (
    FACILITATOR, PARTICIPANT, PRESENTER, SPOKEN, VOTE, WRITE, WRITE_SILENT, Phase,
)

ALL = frozenset({FACILITATOR, PRESENTER, PARTICIPANT})
GROUP = frozenset({FACILITATOR, PARTICIPANT})
ONLY_PRESENTER = frozenset({PRESENTER})


@dataclass(frozen=True)
class Step:
    phase: Phase
    name: object
    explanation: object
    expect: dict  # role -> what this person does now


@dataclass(frozen=True)
class Method:
    key: str
    name: object
    summary: object
    steps: tuple[Step, ...]

    def phases(self, minutes: list[int] | None = None) -> list[Phase]:
        """The phases with this round's own timings where given."""
        result = []
        for i, step in enumerate(self.steps):
            m = minutes[i] if minutes and i < len(minutes) and minutes[i] else step.phase.minutes
            result.append(Phase(**{**step.phase.__dict__, "minutes": int(m)}))
        return result

    def default_minutes(self) -> list[int]:
        return [s.phase.minutes for s in self.steps]


LISTEN = _l("Luister alleen. Schrijf voor jezelf op wat je raakt.")
TELL = _l("Vertel je situatie en stel je hulpvraag.")
GUARD = _l("Bewaak de tijd en de methode. Jij zet de volgende fase.")


def step(key, minutes, name, explanation, *, mode=SPOKEN, writers=frozenset(), silent=frozenset(),
         item=None, max_items=None, presenter=None, participant=None, facilitator=None) -> Step:
    return Step(
        Phase(key=key, minutes=minutes, input_mode=mode, writers=frozenset(writers), silent=frozenset(silent),
              item_kind=item, max_items=max_items),
        name, explanation,
        {PRESENTER: presenter or LISTEN, PARTICIPANT: participant or _l("Luister en denk mee."),
         FACILITATOR: facilitator or GUARD},
    )


INCIDENT = Method("incident", _l("Incidentmethode"), _l("Eén concreet incident, vragen, analyse en advies. Ongeveer 50 minuten."), (
    step("pitch", 3, _l("Situatie en hulpvraag"), _l("De inbrenger schetst kort het incident en stelt een hulpvraag."),
         presenter=TELL, participant=_l("Luister. Nog geen vragen.")),
    step("silent_questions", 5, _l("Vragen in stilte"), _l("Iedereen schrijft voor zichzelf vragen op. Ze blijven verborgen tot de gespreksleider ze laat zien."),
         mode=WRITE_SILENT, writers=ALL - ONLY_PRESENTER, item="question",
         presenter=_l("Neem even rust. De groep schrijft vragen op."), participant=_l("Schrijf je vragen op. Niemand ziet ze nog.")),
    step("clarify", 15, _l("Verhelderende vragen"), _l("Stel vragen om de situatie te begrijpen. Nog geen adviezen."),
         mode=WRITE, writers=GROUP, item="question",
         presenter=_l("Beantwoord de vragen. Geef elke vraag koud, lauw of warm."),
         participant=_l("Stel een verhelderende vraag. Nog geen advies.")),
    step("core", 10, _l("De kern"), _l("De deelnemers zoeken samen de kern van het probleem."),
         mode=WRITE, writers=GROUP, item="core", silent=ONLY_PRESENTER,
         participant=_l("Wat is volgens jou de kern? Typ het of zeg het.")),
    step("advice", 10, _l("Advies"), _l("Ieder geeft advies. De inbrenger luistert alleen."),
         mode=WRITE, writers=GROUP, item="advice", silent=ONLY_PRESENTER,
         participant=_l("Geef je advies: concreet en kort.")),
    step("takeaway", 5, _l("Wat neem je mee?"), _l("De inbrenger zegt welk advies past en wat hij of zij gaat doen."),
         presenter=_l("Vertel wat je meeneemt. Markeer welk advies je helpt."), participant=_l("Luister.")),
))

GOSSIP = Method("roddel", _l("Roddelmethode"), _l("De groep praat over de casus alsof de inbrenger er niet is. Ongeveer 55 minuten."), (
    step("question", 5, _l("Hulpvraag"), _l("De inbrenger vertelt kort de situatie en stelt een hulpvraag."), presenter=TELL),
    step("open_questions", 15, _l("Open vragen"), _l("Ieder stelt maximaal drie open vragen."),
         mode=WRITE, writers=GROUP, item="question", max_items=3,
         presenter=_l("Beantwoord de vragen. Geef elke vraag koud, lauw of warm."),
         participant=_l("Stel een open vraag (maximaal drie).")),
    step("gossip", 15, _l("Roddelen"), _l("De groep bespreekt de casus alsof de inbrenger er niet is. De inbrenger zwijgt en maakt aantekeningen."),
         silent=ONLY_PRESENTER, participant=_l("Praat over de casus alsof de inbrenger er niet bij is.")),
    step("response", 10, _l("Reactie van de inbrenger"), _l("De inbrenger vertelt wat het roddelen opriep."),
         presenter=_l("Vertel wat je hoorde en wat het met je deed."), participant=_l("Luister.")),
    step("evaluation", 10, _l("Evaluatie"), _l("Wat heeft dit opgeleverd, voor de inbrenger en voor de groep?"),
         presenter=_l("Wat neem je mee?"), participant=_l("Wat heb jij geleerd?")),
))

FIVE_STEPS = Method("vijf_stappen", _l("Vijf-stappenmethode"), _l("Probleemoplossend in vijf stappen. Ongeveer 50 minuten."), (
    step("intro", 10, _l("Vraag en introductie"), _l("De inbrenger introduceert de casus en de vraag."), presenter=TELL),
    step("explore", 15, _l("Verkennen"), _l("Vragen om de situatie te verkennen."),
         mode=WRITE, writers=GROUP, item="question",
         presenter=_l("Beantwoord de vragen. Geef elke vraag koud, lauw of warm."),
         participant=_l("Stel een vraag om de situatie te verkennen.")),
    step("core", 5, _l("De kern"), _l("Wat is het eigenlijke probleem?"),
         mode=WRITE, writers=ALL, item="core", participant=_l("Wat is volgens jou de kern?"),
         presenter=_l("Herken je de kern? Zeg het.")),
    step("advice", 15, _l("Advies"), _l("Adviezen, met na elk advies de reactie van de inbrenger."),
         mode=WRITE, writers=GROUP, item="advice",
         presenter=_l("Reageer op elk advies. Markeer wat je helpt."), participant=_l("Geef je advies.")),
    step("evaluation", 5, _l("Evaluatie"), _l("Is de inbrenger geholpen? Zo niet, terug naar de vragen."),
         presenter=_l("Ben je geholpen? Zo niet, zeg het: dan gaan we terug."), participant=_l("Luister.")),
))

BALINT = Method("balint", _l("Balintmethode"), _l("Met aandacht voor gevoelens en associaties. Ongeveer 100 minuten."), (
    step("choose", 10, _l("Casus kiezen"), _l("Wie brengt in? Ieder kiest één casus; de gespreksleider telt."),
         mode=VOTE, writers=ALL, item="vote",
         presenter=_l("Vertel kort waarover je wilt inbrengen, en kies."), participant=_l("Kies de casus die jij wilt bespreken.")),
    step("explain", 15, _l("Toelichting"), _l("De inbrenger vertelt de casus, ook wat het met hem of haar doet."),
         presenter=_l("Vertel de casus en wat die met je doet."), participant=_l("Luister.")),
    step("associations", 10, _l("Associaties"), _l("Ieder schrijft voor zichzelf op wat de casus oproept."),
         mode=WRITE_SILENT, writers=GROUP, item="association", silent=ONLY_PRESENTER,
         participant=_l("Schrijf op wat de casus bij je oproept.")),
    step("questions", 15, _l("Vragen"), _l("Vragen aan de inbrenger."),
         mode=WRITE, writers=GROUP, item="question",
         presenter=_l("Beantwoord de vragen. Geef elke vraag koud, lauw of warm."), participant=_l("Stel een vraag.")),
    step("written_advice", 10, _l("Advies op papier"), _l("Ieder schrijft een advies, nog niet zichtbaar."),
         mode=WRITE_SILENT, writers=GROUP, item="advice", silent=ONLY_PRESENTER,
         participant=_l("Schrijf je advies op. Het blijft verborgen tot de gespreksleider het laat zien.")),
    step("discussion", 20, _l("Groepsgesprek"), _l("De groep bespreekt de casus. De inbrenger zwijgt."),
         silent=ONLY_PRESENTER, participant=_l("Praat mee over de casus.")),
    step("decision", 10, _l("De inbrenger kiest"), _l("De inbrenger zegt wat hij of zij meeneemt en gaat doen."),
         presenter=_l("Vertel wat je meeneemt. Markeer welk advies je helpt."), participant=_l("Luister.")),
    step("evaluation", 10, _l("Evaluatie"), _l("Hoe was deze bijeenkomst?"),
         presenter=_l("Hoe was het voor jou?"), participant=_l("Hoe was het voor jou?")),
))

REFLECTING_TEAM = Method("reflecterend_team", _l("Reflecterend team"), _l("Een interview, daarna reflecteert het team hardop. Ongeveer 60 minuten."), (
    step("interview", 20, _l("Interview"), _l("De gespreksleider interviewt de inbrenger. Het team luistert."),
         silent=frozenset({PARTICIPANT}), presenter=_l("Vertel. De gespreksleider stelt je vragen."),
         participant=_l("Luister alleen."), facilitator=_l("Interview de inbrenger over de casus en de vraag.")),
    step("reflect", 15, _l("Team reflecteert"), _l("Het team praat hardop en voorzichtig met elkaar: ‘Ik vraag me af…’"),
         silent=ONLY_PRESENTER, participant=_l("Reflecteer voorzichtig: ‘Ik vraag me af…’")),
    step("resonance", 10, _l("Wat resoneerde?"), _l("De inbrenger vertelt wat bleef hangen."),
         presenter=_l("Vertel wat je raakte."), participant=_l("Luister.")),
    step("reflect_again", 10, _l("Tweede reflectie"), _l("Het team reflecteert opnieuw, op wat de inbrenger zei."),
         silent=ONLY_PRESENTER, participant=_l("Reflecteer op wat de inbrenger zei.")),
    step("closing", 5, _l("Afronding"), _l("Wat neemt de inbrenger mee?"),
         presenter=_l("Vertel wat je meeneemt."), participant=_l("Luister.")),
))

TEN_STEPS = Method("tien_stappen", _l("Tien-stappenmethode"), _l("Grondig, in tien stappen. 90 minuten of meer."), (
    step("describe", 10, _l("Beschrijven"), _l("De inbrenger beschrijft de casus."), presenter=TELL),
    step("clarify", 10, _l("Verhelderende vragen"), _l("Ieder stelt verhelderende vragen."),
         mode=WRITE, writers=GROUP, item="question", presenter=_l("Lees de vragen. Beantwoorden komt straks."),
         participant=_l("Stel een verhelderende vraag.")),
    step("rate", 5, _l("Vragen waarderen"), _l("De inbrenger geeft elke vraag koud, lauw of warm."),
         presenter=_l("Geef elke vraag koud, lauw of warm."), participant=_l("Wacht even.")),
    step("answer", 10, _l("Antwoorden"), _l("De inbrenger beantwoordt de warme vragen."),
         presenter=_l("Beantwoord de warme vragen."), participant=_l("Luister.")),
    step("extra", 10, _l("Aanvullende vragen"), _l("Nog vragen?"),
         mode=WRITE, writers=GROUP, item="question", presenter=_l("Beantwoord de vragen."),
         participant=_l("Stel een aanvullende vraag.")),
    step("core", 10, _l("De kern"), _l("De deelnemers benoemen de kern."),
         mode=WRITE, writers=GROUP, item="core", silent=ONLY_PRESENTER, participant=_l("Wat is de kern?")),
    step("redefine", 5, _l("Probleem opnieuw formuleren"), _l("De inbrenger formuleert het probleem opnieuw."),
         presenter=_l("Formuleer je probleem opnieuw."), participant=_l("Luister.")),
    step("approach", 10, _l("Nieuwe aanpak"), _l("De inbrenger bedenkt een nieuwe aanpak."),
         presenter=_l("Wat ga je anders doen?"), participant=_l("Luister.")),
    step("tips", 10, _l("Tips"), _l("De deelnemers geven tips bij de aanpak."),
         mode=WRITE, writers=GROUP, item="advice", participant=_l("Geef een tip."),
         presenter=_l("Markeer de tips die je helpen.")),
    step("insights", 10, _l("Persoonlijke inzichten"), _l("Wat heeft ieder voor zichzelf geleerd?"),
         presenter=_l("Wat heb je geleerd?"), participant=_l("Wat heb jij geleerd?")),
))

METHODS: dict[str, Method] = {m.key: m for m in (INCIDENT, GOSSIP, FIVE_STEPS, BALINT, REFLECTING_TEAM, TEN_STEPS)}
DEFAULT = INCIDENT.key


def get(key: str) -> Method | None:
    return METHODS.get(key)
