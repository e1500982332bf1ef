"""The live state fragment is rendered once per round version and role, yet every phone still gets
its own CSRF token, and a phone with something private (an item written in silence) its own render."""
from __future__ import annotations

import re
import threading

from conftest import csrf_token
from test_intervisie import as_, in_silent_questions, post, team  # noqa: F401 (team: the fixture)

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def session_tokens(html_or_token: str) -> set[str]:
    """The session's own secret inside each CSRF token. A token also carries the second it was
    signed, so two fetches either side of a second's tick give different strings for one session."""
    tokens = TOKEN.findall(html_or_token) or [html_or_token]
    return {token.split(".")[0] for token in tokens}


def stand(client, round_id) -> str:
    return client.get(f"/intervisie/rondes/{round_id}/live/stand", headers={"HX-Request": "true"}).get_data(as_text=True)


def test_phones_of_one_role_share_one_render_with_their_own_token(app, team, login):  # noqa: F811
    people, lead, round_id = in_silent_questions(app, team, login)
    daan, fatima = as_(app, login, people["daan"]), as_(app, login, people["fatima"])
    fragments = app.extensions["intervisie.live_caches"].fragments  # made by the facilitator's moves
    misses = fragments.misses
    first, second = stand(daan, round_id), stand(fatima, round_id)
    assert fragments.misses == misses + 1  # rendered once for both participants
    assert "\x00" not in first + second
    # Each form carries the phone's own session token, and the server clock is filled in.
    assert session_tokens(first) == session_tokens(csrf_token(daan, f"/intervisie/rondes/{round_id}/live"))
    assert session_tokens(second) == session_tokens(csrf_token(fatima, f"/intervisie/rondes/{round_id}/live"))
    assert session_tokens(first) != session_tokens(second)
    assert 'data-server-now="20' in first

    # Daan writes in silence: his phone shows his question, Fatima's (shared) does not.
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 1, "text": "Wat deed je toen?"}).status_code == 200
    assert "Wat deed je toen?" in stand(daan, round_id)
    assert "Wat deed je toen?" not in stand(fatima, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/toon", {"phase": 1})
    assert "Wat deed je toen?" in stand(fatima, round_id)


def test_a_render_made_after_the_round_moved_on_is_not_shared(app, team, login, monkeypatch):  # noqa: F811
    """The shared key is decided a moment before the render (for streams, in the plan), and the
    render reads the state afresh from the renderer's own point of view. When the renderer wrote
    in silence in between, the render shows their question: it goes to them alone, never to the
    next phone that asks under the same key."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from app.extensions import db
    from app.intervisie import live_fragment, services
    from app.intervisie.models import Contribution, Round
    from app.intervisie.views import live as live_views
    from app.models_base import utcnow
    people, lead, round_id = in_silent_questions(app, team, login)
    daan_id = people["daan"].id
    keys, written = [], []
    original_filled, original_context = live_fragment.filled, live_views.live_context

    def noting_filled(session, key, now, context):
        keys.append(key)
        return original_filled(session, key, now, context)

    def daan_writes_just_before_the_render(acc, now, *args, **kwargs):
        if acc.me.person_id == daan_id and not written:  # his question lands between key and render
            engine = db.engine

            def from_his_other_phone():  # another request, so on its own thread and connection
                with Session(engine) as other:
                    other.add(Contribution(round_id=round_id, phase_index=1, kind="question", author_id=daan_id,
                                           text="Geheime vraag van Daan"))
                    other.execute(update(Round).where(Round.id == round_id).values(version=Round.version + 1))
                    other.commit()
            writer = threading.Thread(target=from_his_other_phone)
            writer.start()
            writer.join()
            written.append(True)
        return original_context(acc, now, *args, **kwargs)
    monkeypatch.setattr(live_fragment, "filled", noting_filled)
    monkeypatch.setattr(live_views, "live_context", daan_writes_just_before_the_render)

    assert "Geheime vraag van Daan" in stand(as_(app, login, people["daan"]), round_id)  # his own, to him
    shared_key = keys[-1]
    with app.test_request_context():  # Fatima's phone, under the key Daan's render was made for
        acc = services.access(db.session, people["fatima"], round_id)
        html = original_filled(db.session, shared_key, utcnow(), lambda: original_context(acc, utcnow()))
    assert "Geheime vraag van Daan" not in html
