"""What buddies tells people, and the scheduler: the day-before notice and automatic publishing."""
from __future__ import annotations

from datetime import datetime

from flask_babel import LazyString, format_date
from flask_babel import lazy_gettext as _l

from app.accounts.models import Person
from app.buddies import services
from app.buddies.models import Rotation, Scheme
from app.notify import services as notify
from app.urls import app_url


def announce_rotation(session, scheme: Scheme, rotation: Rotation, now: datetime) -> int:
    """Tell everyone in the new rotation who their buddy is (in their own language)."""
    count = 0
    for group in rotation.groups:
        for member in group.members:
            person = member.person
            others = [m.person.name for m in group.members if m.person_id != person.id]
            notify.notify(session, person.id, "buddy_new", title=_l("Je nieuwe buddy"),
                          body=_l("Je buddy is %(names)s. Kijk op Vandaag wat je als eerste kunt vragen.",
                                  names=" & ".join(others)), url=app_url("web.today"),
                          topic=f"buddy-{scheme.id}", now=now,
                          dedupe_key=f"buddy-new:{rotation.id}:{person.id}")
            count += 1
    return count


def notice_leads(session, scheme: Scheme, now: datetime) -> None:
    """A day before an automatic publish: the leads get one notice to look at the preview."""
    for person_id in services.scheme_leads(session, scheme):
        day = LazyString(format_date, scheme.next_on, "EEE d MMM")
        body = _l("‘%(name)s’ wisselt op %(day)s. Bekijk het voorstel; je kunt nog koppels vastzetten of "
                  "afwijzen.", name=scheme.name, day=day)
        notify.notify(session, person_id, "buddy_publish_tomorrow", title=_l("Morgen nieuwe buddy's"), body=body,
                      url=app_url("buddies.preview", scheme_id=scheme.id), now=now,
                      dedupe_key=f"buddy-notice:{scheme.id}:{scheme.next_on.isoformat()}:{person_id}")


def propose_meeting(session, person: Person, group_id: int, buddy_ids: list[int], now: datetime) -> None:
    for buddy_id in buddy_ids:
        notify.notify(session, buddy_id, "buddy_meet", title=_l("Zullen we afspreken?"),
                      body=_l("%(name)s wil graag een eerste afspraak met je maken als buddy.", name=person.name),
                      url=app_url("web.today"), now=now,
                      dedupe_key=f"buddy-meet:{group_id}:{person.id}:{buddy_id}")


def run_schedule(session, now: datetime) -> None:
    """The worker's job: idempotent (dedupe keys, a guarded publish), so any number may run."""
    for scheme, what in services.due_schemes(session, now):
        if what == "notice":
            if services.draft(session, scheme) is None:
                services.compute(session, scheme)
            notice_leads(session, scheme, now)
        else:
            # Recomputed at the moment itself (locks and vetoes kept): whoever paused since the
            # preview is out, whoever came back is in.
            rotation = services.compute(session, scheme)
            if services.publish(session, scheme, rotation, now):
                announce_rotation(session, scheme, rotation, now)

