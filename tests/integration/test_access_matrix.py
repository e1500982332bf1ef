"""The access matrix (issue 7, "Proof"): every route in `app.url_map`, every method it has, for
every role, gets exactly the outcome the access policy (app/access.py) gives it.

- 404: the person may not know the thing exists; 403: they know it and lack the role;
  "login": an anonymous visitor is sent to /inloggen; "ok": 2xx or 3xx (the request went through).
- The table `MATRIX` is keyed by endpoint. An endpoint in the URL map without an entry fails
  `test_every_endpoint_has_a_matrix_entry`, and one without an access rule fails
  `test_every_endpoint_records_its_access_rule`. A new feature adds one entry per endpoint
  (see docs/architecture.md, "Access").
- One world (two organisations, a team with a planned and a live round, a feedback request,
  answered feedback and a solo reflection, a buddy scheme with a published rotation and a draft,
  personal actions; one person per role) is built once per module. Every non-GET request runs on a fresh copy of it: what one
  allowed request changes (a cancelled round, a deleted account) never leaks into the next.
- Every request carries a valid CSRF token and a minimal valid body (for forms that name a
  colleague or a team, one that fits the role: `Entry.by_role`), so a refusal is the access rule's
  doing, never a bad form's. An endpoint may have several entries (an exchange with a colleague
  and a solo reflection), each checked for every role.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select
from itsdangerous import URLSafeTimedSerializer

from app import access, actions, create_app
from app.accounts import login_sessions
from app.accounts import services as accounts
from app.accounts.models import LinkPurpose, Membership, Organisation, Passkey, Person, Role, Team
from app.buddies import services as buddies
from app.buddies.models import BuddyGroup, Exclusion, GroupMember, Rotation
from app.extensions import db
from app.feedback.models import ANSWERED, OPEN, REQUEST, SOLO, CaseIdea, Exchange
from app.intervisie import calendar, methods, phases
from app.actions import PersonalAction as Action
from app.intervisie.models import CaseText, Contribution, Participant, Round
from app.models_base import utcnow
from app.notify.models import Notification, PushSubscription
from app.timezone import AMSTERDAM
from conftest import app_config

ROLES = ("anonymous", "other_team", "other_org_admin", "member_outside", "lead_outside",
         "participant", "presenter", "facilitator", "lead", "admin")
PUSH_ENDPOINT = "https://fcm.googleapis.com/fcm/send/matrix-participant"


# The world ------------------------------------------------------------------------------------

@dataclass
class World:
    people: dict = field(default_factory=dict)    # role -> person id
    logins: dict = field(default_factory=dict)    # role -> Flask-Login id "<person id>.<token>"
    ids: dict = field(default_factory=dict)       # named rows: team, round, live round, items, ...
    tokens: dict = field(default_factory=dict)    # invite, recovery, calendar, setup


def build_world(session) -> World:
    """Jeugdzorg A: team Noord (the rounds) and team Zuid; Jeugdzorg B with its own admin.

    Roles in team Noord's rounds: participant, presenter, facilitator and a lead who takes part
    as a participant; a lead and a member of Noord outside the rounds; an admin of A (member of
    Zuid); a member of Zuid; an admin of B.

    Feedback is the participant's and the presenter's alone: a request the participant asked the
    presenter (open), one the presenter answered, and the participant's solo reflection. Team
    Noord has a buddy scheme (made by lead_outside) with a published rotation (participant and
    presenter are buddies), an onboarding pair and a draft for the next rotation.
    """
    world = World()
    org_a, org_b = Organisation(name="Jeugdzorg A"), Organisation(name="Jeugdzorg B")
    noord, zuid, elders = Team(name="Noord", organisation=org_a), Team(name="Zuid", organisation=org_a), \
        Team(name="Elders", organisation=org_b)
    session.add_all([org_a, org_b, noord, zuid, elders])

    def person(role_key, team, role=Role.MEMBER, admin=False, org=org_a):
        p = Person(name=role_key.replace("_", " ").title(), organisation=org, is_admin=admin)
        session.add_all([p, Membership(person=p, team=team, role=role)])
        return p

    people = {
        "other_team": person("other_team", zuid),
        "other_org_admin": person("other_org_admin", elders, Role.LEAD, admin=True, org=org_b),
        "member_outside": person("member_outside", noord),
        "lead_outside": person("lead_outside", noord, Role.LEAD),
        "participant": person("participant", noord),
        "presenter": person("presenter", noord),
        "facilitator": person("facilitator", noord),
        "lead": person("lead", noord, Role.LEAD),
        "admin": person("admin", zuid, admin=True),
    }
    colleague = person("colleague", noord)  # whom recovery links are asked for
    elders_colleague = person("elders_colleague", elders, org=org_b)  # other_org_admin's colleague
    session.flush()

    now = utcnow()
    roles = {"participant": phases.PARTICIPANT, "presenter": phases.PRESENTER,
             "facilitator": phases.FACILITATOR, "lead": phases.PARTICIPANT}

    def make_round(title, **state):
        rnd = Round(team_id=noord.id, title=title, method_key="incident", minutes=methods.get("incident")
                    .default_minutes(), created_by_id=people["lead_outside"].id, revealed=[], **state)
        rnd.participants = [Participant(person_id=people[k].id, role=r) for k, r in roles.items()]
        session.add(rnd)
        return rnd

    # Planned, and inside the window in which the facilitator may start it.
    planned = make_round("Gepland", starts_at=now + timedelta(minutes=30), status=phases.PLANNED, phase_index=-1)
    # Live, in "questions in silence" (the presenter listens; the facilitator may reveal).
    live = make_round("Live", starts_at=now - timedelta(minutes=10), status=phases.LIVE, phase_index=1,
                      phase_started_at=now, version=1)
    session.flush()
    session.add(CaseText(round_id=planned.id, author_id=people["presenter"].id, help_question="Hoe verder?",
                         case_text="Een gesprek dat vastliep."))
    question = Contribution(round_id=live.id, phase_index=1, kind="question", author_id=people["participant"].id,
                            text="Wat maakte het lastig?")
    advice = Contribution(round_id=live.id, phase_index=4, kind="advice", author_id=people["participant"].id,
                          text="Vraag het na.")
    action = Action(source="intervisie", source_id=live.id, owner_id=people["presenter"].id, text="Terugbellen")
    notification = Notification(person_id=people["participant"].id, kind="test", title="Test", body="Test",
                                url="/meldingen", expires_at=now + timedelta(days=1))
    subscription = PushSubscription(person_id=people["participant"].id, endpoint=PUSH_ENDPOINT, p256dh="k",
                                    auth="a", label="Telefoon")
    passkey = Passkey(person_id=people["participant"].id, credential_id=b"matrix", public_key=b"key",
                      label="Telefoon")
    session.add_all([question, advice, action, notification, subscription, passkey])
    session.flush()
    world.ids.update(build_feedback(session, people), **build_buddies(session, people, noord, colleague))
    world.ids["personal_action"] = actions.add(session, people["participant"].id, "Collega bellen",
                                               source="feedback").id

    for role, p in people.items():
        _, token = login_sessions.start_session(session, p.id, label="Matrix")
        world.people[role], world.logins[role] = p.id, f"{p.id}.{token}"
    other_device, _ = login_sessions.start_session(session, people["participant"].id, label="Tablet")
    world.tokens["setup"] = accounts.issue_link(session, LinkPurpose.SETUP, timedelta(hours=1)).token
    world.tokens["invite"] = accounts.issue_invite(session, team=noord, role=Role.MEMBER, make_admin=False,
                                                   email=None, created_by=people["lead_outside"], days=7).token
    world.tokens["recovery"] = accounts.issue_recovery(session, person=colleague, issued_by=people["admin"],
                                                       hours=24).token
    world.tokens["calendar"] = calendar.new_feed(session, people["participant"].id)
    session.flush()
    world.ids.update(team=noord.id, colleague=colleague.id, round=planned.id, live=live.id, question=question.id,
                     advice=advice.id, action=action.id, notification=notification.id,
                     subscription=subscription.id, passkey=passkey.id, other_device=other_device.id,
                     elders=elders.id, elders_colleague=elders_colleague.id)
    session.commit()
    return world


def build_feedback(session, people) -> dict:
    """A request (open), answered feedback and a solo reflection; a case idea of the participant."""
    asker, giver = people["participant"].id, people["presenter"].id
    request = Exchange(kind=REQUEST, status=OPEN, subject_id=asker, giver_id=giver, title="Huisbezoek",
                       rules="Ik volgde de opzet.", expires_at=utcnow() + timedelta(days=7))
    answered = Exchange(kind=REQUEST, status=ANSWERED, subject_id=asker, giver_id=giver, title="Overleg",
                        rules="Ik luisterde.", top="Rustig gebleven.", answered_at=utcnow())
    solo = Exchange(kind=SOLO, status=ANSWERED, subject_id=asker, title="Telefoontje", principles="Open zijn.")
    idea = CaseIdea(owner_id=asker, text="Grenzen stellen")
    session.add_all([request, answered, solo, idea])
    session.flush()
    return {"exchange": request.id, "answered": answered.id, "solo": solo.id, "idea": idea.id}


def build_buddies(session, people, noord, colleague) -> dict:
    """Team Noord's scheme: rotation 1 published (participant and presenter), member_outside
    onboarding facilitator, rotation 2 a draft; the participant privately excludes the colleague."""
    today = utcnow().astimezone(AMSTERDAM).date()
    scheme = buddies.create_scheme(session, people["lead_outside"], buddies.Settings(name="Buddy's Noord",
                                                                                     team_ids=[noord.id]), today)
    published = BuddyGroup(reasons=[], members=[GroupMember(person_id=people[r].id)
                                                for r in ("participant", "presenter")])
    session.add(Rotation(scheme_id=scheme.id, number=1, status="published", starts_on=today,
                         published_at=utcnow(), groups=[published]))
    onboarding = buddies.set_onboarding(session, scheme, people["member_outside"].id, people["facilitator"].id)
    draft = buddies.compute(session, scheme)
    free = next(g for g in draft.groups if not g.onboarding)
    session.add(Exclusion(person_id=people["participant"].id, excluded_id=colleague.id))
    session.flush()
    return {"scheme": scheme.id, "buddy_group": published.id, "onboarding": onboarding.id,
            "draft_group": free.id}


class Matrix:
    """One app and one world for the module; `fresh()` puts the world back as built.

    On SQLite the database file is copied back; on PostgreSQL the tables are emptied and the
    world's rows written back (both take milliseconds; building the world again took seconds).
    """

    def __init__(self, tmp_path):
        self.app = create_app(app_config(tmp_path))
        self.path = None
        with self.app.app_context():
            db.drop_all()
            db.create_all()
            self.world = build_world(db.session)
            if db.engine.dialect.name == "sqlite":
                self.path = db.engine.url.database
                db.session.remove()
                db.engine.dispose()
                shutil.copyfile(self.path, self.path + ".world")
            else:
                self.rows = {t.name: [dict(r._mapping) for r in db.session.execute(t.select())]
                             for t in db.metadata.sorted_tables}
                db.session.remove()
        self.dirty = False

    def fresh(self) -> World:
        if not self.dirty:
            return self.world
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
            if self.path:
                for suffix in ("-wal", "-shm"):
                    if os.path.exists(self.path + suffix):
                        os.remove(self.path + suffix)
                shutil.copyfile(self.path + ".world", self.path)
            else:
                self.restore_rows()
        self.dirty = False
        return self.world

    def restore_rows(self) -> None:
        """PostgreSQL: every table as it was after build_world, sequences included."""
        tables = db.metadata.sorted_tables
        with db.engine.begin() as connection:
            # DELETE, not TRUNCATE: on a few dozen rows it is many times faster.
            for table in reversed(tables):
                connection.execute(table.delete())
            for table in tables:
                if self.rows[table.name]:
                    connection.execute(table.insert(), self.rows[table.name])
                for column in table.primary_key.columns:
                    if column.autoincrement is True or (column.autoincrement == "auto" and len(table.primary_key.columns) == 1
                                                        and column.type.python_type is int):
                        connection.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                            f"COALESCE((SELECT MAX(\"{column.name}\") FROM \"{table.name}\"), 0) + 1, false)")
        return self.world

    def client(self, role: str):
        """A browser of this role: signed in (unless anonymous), with a CSRF token in its session."""
        client = self.app.test_client()
        raw = hashlib.sha1(os.urandom(32)).hexdigest()
        with client.session_transaction() as sess:
            sess["csrf_token"] = raw
            if role != "anonymous":
                sess["_user_id"], sess["_fresh"] = self.world.logins[role], True
        signed = URLSafeTimedSerializer(self.app.secret_key, salt="wtf-csrf-token").dumps(raw)
        return client, signed

    def close(self):
        with self.app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    m = Matrix(tmp_path_factory.mktemp("matrix"))
    yield m
    m.close()


# Expected outcomes ----------------------------------------------------------------------------

def expect(default: str, anonymous: str = "login", **roles: str) -> dict:
    return {"anonymous": anonymous, **{r: default for r in ROLES[1:]}, **roles}


PARTICIPANTS = ("participant", "presenter", "facilitator", "lead")
OUTSIDERS = dict(other_team="404", other_org_admin="404", member_outside="404")

EVERYONE = expect("ok", anonymous="ok")
SIGNED_IN = expect("ok")
ADMIN = expect("404", other_org_admin="ok", admin="ok")
TEAM_MEMBER = expect("ok", other_team="404", other_org_admin="404")
TEAM_LEAD = expect("403", other_team="404", other_org_admin="404", lead_outside="ok", lead="ok", admin="ok")
ROUND_VIEWER = expect("ok", **OUTSIDERS)
ROUND_PLANNING = expect("403", **OUTSIDERS, lead_outside="ok", lead="ok", admin="ok")
ROUND_PARTICIPANT = expect("403", **OUTSIDERS, **{r: "ok" for r in PARTICIPANTS})


def own(owner: str) -> dict:
    """Someone's own item (passkey, device, notification, action): theirs alone, 404 for others."""
    return expect("404", **{owner: "ok"})


def only(role: str) -> dict:
    """One role in the round: other participants and the leads know the round (403)."""
    return expect("403", **OUTSIDERS, **{role: "ok"})


@dataclass(frozen=True)
class Entry:
    url: Callable[[World], str]
    outcome: dict                                   # role -> outcome, for every method
    data: Callable[[World], dict] = lambda w: {}    # the minimal valid form body (non-GET)
    json: Callable[[World], object] | None = None   # a JSON body instead of a form
    htmx: bool = False                              # as htmx asks (live actions answer in status codes)
    outcome_by_method: dict = field(default_factory=dict)  # method -> outcomes where they differ
    by_role: bool = False                           # data/json take (world, role): a colleague, a team


def rnd(path=""):
    return lambda w: f"/intervisie/rondes/{w.ids['round']}{path}"


def live(path=""):
    return lambda w: f"/intervisie/rondes/{w.ids['live']}{path}"


def item(name, action):
    return lambda w: f"/intervisie/rondes/{w.ids['live']}/live/bijdragen/{w.ids[name]}/{action}"


def team(path=""):
    return lambda w: f"/teams/{w.ids['team']}{path}"


def const(url):
    return lambda w: url


def feedback(name, path=""):
    return lambda w: f"/feedback/{w.ids[name]}{path}"


def scheme(path=""):
    return lambda w: f"/buddies/schemas/{w.ids['scheme']}{path}"


def colleague_of(w: World, role: str) -> int:
    """Someone who shares a team with the role (whom they may ask, give to, exclude)."""
    return {"other_team": w.people["admin"], "admin": w.people["other_team"],
            "other_org_admin": w.ids["elders_colleague"]}.get(role, w.ids["colleague"])


def led_team_of(w: World, role: str) -> int:
    return w.ids["elders"] if role == "other_org_admin" else w.ids["team"]


def client_id(**fields):
    """A feedback form: the phone's own id and the one-tap "nobody is recognisable"."""
    return {"client_id": str(uuid.uuid4()), "accept_risk": "y", **fields}


# Feedback: only the exchange's two people know it; everyone else, leads and admins of its
# organisation included, gets 404. The participant asked, the presenter answers.
PARTY = expect("404", participant="ok", presenter="ok")
ASKER = expect("404", participant="ok", presenter="403")
ANSWERER = expect("404", participant="403", presenter="ok")
# Buddies: a scheme is for the leads of the teams it covers and the organisation's admins; its
# teams' members know it (403), other teams and organisations do not (404).
SCHEME_LEAD = TEAM_LEAD
SCHEME_FORM = {"name": "Buddy's", "every_weeks": "6", "weekday": "0", "mix": "2", "cross_team": "1", "window": "4"}


NO_CEREMONY = expect("400", anonymous="400")  # reaches the passkey step, which has no challenge

MATRIX: dict[str, Entry | tuple[Entry, ...]] = {
    # The shell
    "static": Entry(lambda w: STATIC_URL, EVERYONE),
    "web.today": Entry(const("/"), SIGNED_IN),
    "web.offline": Entry(const("/offline"), EVERYONE),
    "web.manifest": Entry(const("/manifest.webmanifest"), EVERYONE),
    "web.service_worker": Entry(const("/sw.js"), EVERYONE),
    "web.robots": Entry(const("/robots.txt"), EVERYONE),
    "ops.healthz": Entry(const("/healthz"), EVERYONE),
    "ops.readyz": Entry(const("/readyz"), EVERYONE),
    # Old English addresses (app/legacy_urls.py): a 301 for everyone; the new page has its own rule
    "legacy.login": Entry(const("/login?next=/profiel"), expect("login")),  # 301 to the sign-in page itself
    "legacy.setup": Entry(lambda w: f"/setup/{w.tokens['setup']}", EVERYONE),
    "legacy.invite": Entry(lambda w: f"/invite/{w.tokens['invite']}", EVERYONE),
    "legacy.recover": Entry(lambda w: f"/recover/{w.tokens['recovery']}", EVERYONE),
    "legacy.profile": Entry(const("/profile"), EVERYONE),
    "legacy.my_data": Entry(const("/profile/gegevens"), EVERYONE),
    "legacy.security": Entry(const("/profile/security"), EVERYONE),
    "legacy.new_team": Entry(const("/teams/new"), EVERYONE),
    "legacy.audit_log": Entry(const("/admin/audit-log"), EVERYONE),
    # Accounts: links (a setup link stops working once an organisation exists: 410 for all)
    "accounts.setup": Entry(lambda w: f"/inrichten/{w.tokens['setup']}", expect("410", anonymous="410"),
                            data=lambda w: {"organisation_name": "X", "team_name": "Y", "person_name": "Z"}),
    "accounts.setup_verify": Entry(lambda w: f"/inrichten/{w.tokens['setup']}/passkey", NO_CEREMONY, json=lambda w: {}),
    "accounts.invite": Entry(lambda w: f"/uitnodiging/{w.tokens['invite']}", EVERYONE,
                             data=lambda w: {"person_name": "Nieuwe Collega"}),
    "accounts.invite_verify": Entry(lambda w: f"/uitnodiging/{w.tokens['invite']}/passkey", NO_CEREMONY, json=lambda w: {}),
    "accounts.recover": Entry(lambda w: f"/herstel/{w.tokens['recovery']}", EVERYONE),
    "accounts.recover_verify": Entry(lambda w: f"/herstel/{w.tokens['recovery']}/passkey", NO_CEREMONY,
                                     json=lambda w: {}),
    # Accounts: signing in
    "accounts.login": Entry(const("/inloggen"), EVERYONE),
    "accounts.login_options": Entry(const("/inloggen/opties"), EVERYONE, json=lambda w: {}),
    "accounts.login_verify": Entry(const("/inloggen/controle"), NO_CEREMONY, json=lambda w: {}),
    "accounts.logout": Entry(const("/uitloggen"), EVERYONE),
    # Accounts: teams
    "accounts.team": Entry(team(), TEAM_MEMBER),
    "accounts.create_invite": Entry(team("/uitnodigingen"), TEAM_LEAD, data=lambda w: {"role": "member"}),
    # Anyone who sees the team may ask; only its leads and admins may issue (accounts' rule).
    "accounts.issue_recovery": Entry(lambda w: f"/teams/{w.ids['team']}/leden/{w.ids['colleague']}/herstellink",
                                     TEAM_LEAD),
    "accounts.new_team": Entry(const("/teams/nieuw"), ADMIN, data=lambda w: {"team_name": "Nieuw team"}),
    "accounts.audit_log": Entry(const("/beheer/logboek"), ADMIN),
    # Accounts: one's own account
    "accounts.profile": Entry(const("/profiel"), SIGNED_IN, data=lambda w: {"person_name": "Andere Naam",
                                                                            "locale": "nl"}),
    "accounts.add_passkey": Entry(const("/profiel/passkeys/nieuw"), SIGNED_IN),
    "accounts.add_passkey_verify": Entry(const("/profiel/passkeys/controle"), expect("400"), json=lambda w: {}),
    "accounts.remove_passkey": Entry(lambda w: f"/profiel/passkeys/{w.ids['passkey']}/verwijder", own("participant")),
    "accounts.export": Entry(const("/profiel/download"), SIGNED_IN),
    # The organisations' last admins are asked to name another admin first (409), see privacy.py.
    "accounts.delete_account": Entry(const("/profiel/verwijder"), SIGNED_IN,
                                     outcome_by_method={"POST": expect("ok", admin="409", other_org_admin="409")}),
    "accounts.my_data": Entry(const("/profiel/gegevens"), SIGNED_IN),
    "accounts.privacy_page": Entry(const("/privacy"), EVERYONE),
    "accounts.end_device_session": Entry(lambda w: f"/profiel/sessies/{w.ids['other_device']}/uitloggen",
                                         own("participant")),
    "accounts.end_all_sessions": Entry(const("/profiel/sessies/overal-uitloggen"), SIGNED_IN),
    "accounts.security": Entry(const("/profiel/beveiliging"), SIGNED_IN),
    # Notifications: one's own
    "notify.inbox": Entry(const("/meldingen"), SIGNED_IN),
    "notify.open_item": Entry(lambda w: f"/meldingen/{w.ids['notification']}/open", own("participant")),
    "notify.read_all": Entry(const("/meldingen/gelezen"), SIGNED_IN),
    "notify.settings": Entry(const("/meldingen/instellingen"), SIGNED_IN,
                             data=lambda w: {"quiet_enabled": "y", "quiet_evening": "18:00", "quiet_morning": "08:00"}),
    "notify.send_test": Entry(const("/meldingen/test"), SIGNED_IN),
    "notify.subscribe": Entry(const("/push/abonnementen"), SIGNED_IN, json=lambda w: {
        "endpoint": "https://fcm.googleapis.com/fcm/send/matrix-new", "keys": {"p256dh": "k", "auth": "a"}}),
    "notify.unsubscribe": Entry(const("/push/abonnementen"), own("participant"),
                                json=lambda w: {"endpoint": PUSH_ENDPOINT}),
    "notify.remove_device": Entry(lambda w: f"/meldingen/apparaten/{w.ids['subscription']}/verwijder",
                                  own("participant")),
    # Intervisie: planning
    "intervisie.index": Entry(const("/intervisie/"), SIGNED_IN),
    "intervisie.plan": Entry(lambda w: f"/intervisie/teams/{w.ids['team']}/plan", TEAM_LEAD,
                             data=lambda w: {"preview": "1", "method": "incident"}),
    "intervisie.team_overview": Entry(lambda w: f"/intervisie/teams/{w.ids['team']}/overzicht", TEAM_LEAD,
                                      data=lambda w: {"case_retention_days": "7", "case_preview_hours": "24"}),
    "intervisie.edit": Entry(rnd("/wijzig"), ROUND_PLANNING, data=lambda w: {"preview": "1", "method": "incident"}),
    "intervisie.cancel": Entry(rnd("/afgelasten"), ROUND_PLANNING),
    # Intervisie: the round
    "intervisie.round_page": Entry(rnd(), ROUND_VIEWER),
    "intervisie.round_ics": Entry(rnd(".ics"), ROUND_VIEWER),
    "intervisie.answer": Entry(rnd("/rsvp"), ROUND_PARTICIPANT, data=lambda w: {"answer": "yes"}),
    "intervisie.case": Entry(rnd("/casus"), only("presenter"),
                             data=lambda w: {"help_question": "Hoe ga ik verder?", "case_text": "Een gesprek.",
                                             "accept_risk": "y"}),
    "intervisie.reflect": Entry(live("/reflectie"), ROUND_PARTICIPANT, data=lambda w: {"learning_point": "Luisteren"}),
    "intervisie.action_done": Entry(lambda w: f"/intervisie/acties/{w.ids['action']}/klaar", own("presenter")),
    # Intervisie: the live round
    "intervisie.live": Entry(live("/live"), ROUND_PARTICIPANT),
    "intervisie.live_state": Entry(live("/live/stand"), ROUND_PARTICIPANT),
    "intervisie.live_stream": Entry(live("/live/stream"), ROUND_PARTICIPANT),
    "intervisie.live_start": Entry(rnd("/live/start"), only("facilitator"), htmx=True),
    "intervisie.live_next": Entry(live("/live/volgende"), only("facilitator"), data=lambda w: {"phase": "1"}, htmx=True),
    "intervisie.live_back": Entry(live("/live/terug"), only("facilitator"), data=lambda w: {"phase": "1"}, htmx=True),
    "intervisie.live_extend": Entry(live("/live/verleng"), only("facilitator"),
                                    data=lambda w: {"phase": "1", "minutes": "5"}, htmx=True),
    "intervisie.live_reveal": Entry(live("/live/toon"), only("facilitator"), data=lambda w: {"phase": "1"}, htmx=True),
    # The presenter listens in this phase: the phase machine refuses them (403, live state redrawn).
    "intervisie.live_post": Entry(live("/live/bijdragen"), {**ROUND_PARTICIPANT, "presenter": "403"},
                                  data=lambda w: {"phase": "1", "text": "Wat hielp al?"}, htmx=True),
    "intervisie.live_rate": Entry(item("question", "waardeer"), only("presenter"),
                                  data=lambda w: {"rating": "warm"}, htmx=True),
    "intervisie.live_helpful": Entry(item("advice", "helpt"), only("presenter"), data=lambda w: {"helpful": "1"},
                                     htmx=True),
    "intervisie.live_hide": Entry(item("question", "verberg"), only("facilitator"), htmx=True),
    # Intervisie: calendar
    "intervisie.calendar_settings": Entry(const("/intervisie/agenda"), SIGNED_IN),
    "intervisie.calendar_revoke": Entry(const("/intervisie/agenda/intrekken"), SIGNED_IN),
    "intervisie.calendar_feed": Entry(lambda w: f"/intervisie/agenda/{w.tokens['calendar']}.ics", EVERYONE),
    # Personal actions on Vandaag: the owner's
    "actions.done": Entry(lambda w: f"/acties/{w.ids['personal_action']}/gedaan", own("participant")),
    # Feedback: one's own
    "feedback.index": Entry(const("/feedback/"), SIGNED_IN),
    "feedback.ask": Entry(const("/feedback/vragen"), SIGNED_IN, by_role=True, data=lambda w, role: client_id(
        colleague=str(colleague_of(w, role)), title="Huisbezoek", rules="Ik volgde de opzet.")),
    "feedback.solo": Entry(const("/feedback/alleen"), SIGNED_IN,
                           data=lambda w: client_id(title="Telefoontje", principles="Open zijn.")),
    "feedback.give": Entry(const("/feedback/geven"), SIGNED_IN, by_role=True, data=lambda w, role: client_id(
        colleague=str(colleague_of(w, role)), title="Overleg", top="Goed voorbereid.")),
    "feedback.delete_idea": Entry(lambda w: f"/feedback/ideeen/{w.ids['idea']}/verwijderen", own("participant")),
    "feedback.offline_shell": Entry(const("/feedback/offline"), EVERYONE),
    # Feedback: an exchange between two people, and a solo reflection (its author's alone)
    "feedback.exchange": (Entry(feedback("exchange"), PARTY), Entry(feedback("solo"), own("participant"))),
    "feedback.answer": Entry(feedback("exchange", "/antwoord"), ANSWERER,
                             data=lambda w: client_id(observed="Je bleef rustig.")),
    "feedback.close": (Entry(feedback("answered", "/afronden"), ASKER,
                             data=lambda w: client_id(takeaway="Doorvragen.", action="Vraag het na.")),
                       Entry(feedback("solo", "/afronden"), own("participant"),
                             data=lambda w: client_id(takeaway="Open blijven.", action="Zeg het.")),),
    "feedback.to_intervisie": Entry(feedback("answered", "/intervisie"), ASKER),
    "feedback.delete": (Entry(feedback("exchange", "/verwijderen"), PARTY),
                        Entry(feedback("solo", "/verwijderen"), own("participant"))),
    # Feedback: a lead sees the team's counts, never content
    "feedback.team_counts": Entry(lambda w: f"/feedback/teams/{w.ids['team']}", TEAM_LEAD),
    # Buddies: one's own buddies and settings
    "buddies.index": Entry(const("/buddies/"), SIGNED_IN),
    "buddies.experience": Entry(const("/buddies/ervaring"), SIGNED_IN, data=lambda w: {"exp-years": "5"}),
    "buddies.pause": Entry(const("/buddies/pauze"), SIGNED_IN, data=lambda w: {
        "pause-reason": "holiday", "pause-until": (utcnow().astimezone(AMSTERDAM).date()
                                                    + timedelta(days=7)).isoformat()}),
    "buddies.end_pause": Entry(const("/buddies/pauze/stop"), SIGNED_IN),
    "buddies.exclude": Entry(const("/buddies/uitsluiten"), SIGNED_IN, by_role=True,
                             data=lambda w, role: {"excl-colleague": str(colleague_of(w, role))}),
    # Lifting an exclusion one never made changes nothing (and tells nothing): fine for everyone.
    "buddies.unexclude": Entry(lambda w: f"/buddies/uitsluiten/{w.ids['colleague']}/opheffen", SIGNED_IN),
    "buddies.propose_meeting": Entry(lambda w: f"/buddies/groep/{w.ids['buddy_group']}/afspraak", PARTY),
    # Buddies: schemes (making one needs a team to lead; a member knows schemes exist: 403)
    "buddies.new_scheme": Entry(const("/buddies/schemas/nieuw"),
                                expect("403", other_org_admin="ok", lead_outside="ok", lead="ok", admin="ok"),
                                by_role=True, data=lambda w, role: {**SCHEME_FORM, "teams": str(led_team_of(w, role))}),
    "buddies.edit_scheme": Entry(scheme("/instellingen"), SCHEME_LEAD, data=lambda w: SCHEME_FORM),
    "buddies.scheme": Entry(scheme(), SCHEME_LEAD),
    "buddies.set_onboarding": Entry(scheme("/inwerkbuddy"), SCHEME_LEAD, data=lambda w: {
        "onb-newcomer": str(w.people["participant"]), "onb-buddy": str(w.people["presenter"])}),
    "buddies.release_onboarding": Entry(lambda w: f"/buddies/schemas/{w.ids['scheme']}/inwerkbuddy/"
                                                  f"{w.ids['onboarding']}/loslaten", SCHEME_LEAD),
    "buddies.preview": Entry(scheme("/voorstel"), SCHEME_LEAD),
    "buddies.recompute": Entry(scheme("/voorstel/opnieuw"), SCHEME_LEAD),
    "buddies.lock": Entry(lambda w: f"/buddies/schemas/{w.ids['scheme']}/groepen/{w.ids['draft_group']}/vastzetten",
                          SCHEME_LEAD),
    "buddies.veto": Entry(lambda w: f"/buddies/schemas/{w.ids['scheme']}/groepen/{w.ids['draft_group']}/afwijzen",
                          SCHEME_LEAD),
    "buddies.publish": Entry(scheme("/bekendmaken"), SCHEME_LEAD),
    "buddies.lead_experience": Entry(lambda w: f"/buddies/schemas/{w.ids['scheme']}/ervaring/"
                                               f"{w.people['participant']}", SCHEME_LEAD,
                                     data=lambda w: {f"exp{w.people['participant']}-years": "3"}),
}
STATIC_URL = ""  # set from the app's assets (hashed names)


# The tests ------------------------------------------------------------------------------------

def outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/inloggen?next="):
        return "login"
    return "ok" if 200 <= response.status_code < 400 else str(response.status_code)


def methods_of(app, endpoint) -> list[str]:
    found = set()
    for rule in app.url_map.iter_rules(endpoint):
        found |= rule.methods - {"HEAD", "OPTIONS"}
    return sorted(found)


def entries(endpoint: str) -> tuple[Entry, ...]:
    rows = MATRIX[endpoint]
    return rows if isinstance(rows, tuple) else (rows,)


def body(entry: Entry, world: World, role: str):
    make = entry.json or entry.data
    return make(world, role) if entry.by_role else make(world)


def call(matrix: Matrix, endpoint: str, entry: Entry, method: str, role: str) -> str:
    world = matrix.fresh()
    # What a request may have changed (a cancelled round, a deleted account; or a refused one
    # that slipped through) is undone before the next one. GETs change nothing that matters here.
    matrix.dirty = method != "GET"
    client, csrf = matrix.client(role)
    headers = {"X-CSRFToken": csrf, **({"HX-Request": "true"} if entry.htmx else {})}
    kwargs = {}
    if method != "GET":
        kwargs = {"json": body(entry, world, role)} if entry.json else {"data": body(entry, world, role)}
    response = client.open(entry.url(world), method=method, headers=headers, **kwargs)
    try:
        return outcome(response)
    finally:
        response.close()  # an event stream ends here, freeing its slot


def test_every_endpoint_records_its_access_rule(matrix):
    missing = [endpoint for endpoint, rule in access.rules(matrix.app).items() if rule is None]
    assert not missing, f"endpoints without an access rule (app/access.py): {missing}"


def test_every_endpoint_has_a_matrix_entry(matrix):
    missing = sorted(set(matrix.app.view_functions) - set(MATRIX))
    assert not missing, f"endpoints without a row in MATRIX: {missing}"
    assert not set(MATRIX) - set(matrix.app.view_functions), "rows for endpoints that no longer exist"


def test_every_role_has_an_expected_outcome():
    for endpoint in MATRIX:
        for entry in entries(endpoint):
            assert set(entry.outcome) == set(ROLES), endpoint
            for outcomes in entry.outcome_by_method.values():
                assert set(outcomes) == set(ROLES), endpoint


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access_matrix(matrix, endpoint):
    global STATIC_URL
    if not STATIC_URL:
        STATIC_URL = sorted(matrix.app.extensions["assets"].all_urls())[0]
    wrong = []
    for entry in entries(endpoint):
        url = entry.url(matrix.world)
        for method in methods_of(matrix.app, endpoint):
            expected = entry.outcome_by_method.get(method, entry.outcome)
            for role in ROLES:
                got = call(matrix, endpoint, entry, method, role)
                if got != expected[role]:
                    wrong.append(f"{method} {url} as {role}: expected {expected[role]}, got {got}")
    assert not wrong, f"{endpoint} ({access.rules(matrix.app)[endpoint].name}):\n  " + "\n  ".join(wrong)


def test_a_need_a_subject_does_not_know_is_refused_at_import():
    from app.intervisie.loaders import ROUND
    with pytest.raises(ValueError):
        access.rule(ROUND, "lead")


def test_domain_refusals_answer_with_the_friendly_page(matrix):
    """PlanError reaches the blueprint's handler: a round cancelled twice is 409, translated,
    and its participants are told once (the second cancel used to announce it again)."""
    matrix.fresh()
    matrix.dirty = True
    client, csrf = matrix.client("lead_outside")
    url = f"/intervisie/rondes/{matrix.world.ids['round']}/afgelasten"
    assert client.post(url, headers={"X-CSRFToken": csrf}).status_code == 302
    again = client.post(url, headers={"X-CSRFToken": csrf})
    assert again.status_code == 409 and "Dat kan nu niet meer" in again.get_data(as_text=True)
    with matrix.app.app_context():
        told = db.session.scalars(select(Notification.person_id).where(Notification.kind == "round_cancelled")).all()
    assert sorted(told) == sorted(matrix.world.people[r] for r in PARTICIPANTS)
