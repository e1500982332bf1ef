"""Notification views: the inbox (Meldingen), settings, devices and push subscriptions.

Every page here is about the signed-in person's own things: someone else's notification or
device is 404 (app/access.py).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app import access, reads
from app.devices import device_label
from app.extensions import db, limiter
from app.notify import kinds, push, services
from app.notify.forms import PreferencesForm

bp = Blueprint("notify", __name__)


@bp.get("/meldingen")
@access.signed_in
def inbox():
    items = services.inbox(db.session, current_user.id)
    return render_template("notify/inbox.html", items=items)


@bp.get("/meldingen/<int:notification_id>/open")
@access.signed_in
@reads.writes  # marks the notification read
def open_item(notification_id):
    """Where a tapped push lands: mark it read, then go to the screen it is about."""
    notification = access.found(services.open_notification(db.session, current_user.id, notification_id))
    db.session.commit()
    url = notification.url
    target = url if url.startswith("/") and not url.startswith(("//", "/\\")) else "/"
    return redirect(target)


@bp.post("/meldingen/gelezen")
@access.signed_in
def read_all():
    services.mark_all_read(db.session, current_user.id)
    db.session.commit()
    return redirect(url_for(".inbox"))


def settings_page(form, status=200):
    pref = services.preferences(db.session, current_user.id)
    return render_template(
        "notify/settings.html", form=form, kinds=kinds.optional_kinds(), muted=set(pref.muted_kinds or []),
        devices=services.devices(db.session, current_user.id),
        vapid_key=current_app.extensions["vapid_public_key"],
    ), status


@bp.route("/meldingen/instellingen", methods=["GET", "POST"])
@access.signed_in
def settings():
    pref = services.preferences(db.session, current_user.id)
    form = PreferencesForm()
    if request.method == "GET":
        form.quiet_enabled.data = pref.quiet_enabled
        form.quiet_evening.data = pref.quiet_evening
        form.quiet_morning.data = pref.quiet_morning
        form.quiet_weekends.data = pref.quiet_weekends
        return settings_page(form)
    if not form.validate_on_submit():
        return settings_page(form, 422)
    wanted = set(request.form.getlist("kind"))
    services.save_preferences(
        db.session, current_user.id, muted=[k.key for k in kinds.optional_kinds() if k.key not in wanted],
        quiet_enabled=form.quiet_enabled.data, evening=form.quiet_evening.data,
        morning=form.quiet_morning.data, weekends=form.quiet_weekends.data)
    db.session.commit()
    flash(_("Opgeslagen."), "success")
    return redirect(url_for(".settings"))


@bp.post("/meldingen/test")
@access.signed_in
@limiter.limit(lambda: current_app.config["RATELIMIT_TEST_PUSH"])
def send_test():
    services.notify(db.session, current_user.id, "test", title=_("Testmelding van Leerkring"),
                    body=_("Zie je dit? Dan komen meldingen op dit apparaat aan."),
                    url=url_for(".settings"))
    db.session.commit()
    count = len(services.devices(db.session, current_user.id))
    if count:
        flash(ngettext("Testmelding verstuurd naar %(num)d apparaat.", "Testmelding verstuurd naar %(num)d apparaten.",
                       count), "success")
    else:
        flash(_("Je hebt nog geen apparaat met meldingen. De testmelding staat wel in je Meldingen."), "info")
    return redirect(url_for(".settings"))


@bp.post("/push/abonnementen")
@access.signed_in
@limiter.limit(lambda: current_app.config["RATELIMIT_PUSH_SUBSCRIBE"])
def subscribe():
    allowed = push.allowed_origins(current_app.config.get("PUSH_ENDPOINT_ALLOWLIST"))
    try:
        subscription = services.save_subscription(db.session, current_user.id, request.get_json(silent=True),
                                                  allowed=allowed, label=device_label())
    except services.SubscriptionRefused as exc:
        db.session.rollback()
        return jsonify({"error": _("Dit apparaat kan geen meldingen van Leerkring ontvangen."),
                        "reason": str(exc)}), 400
    db.session.commit()
    return jsonify({"id": subscription.id}), 201


@bp.delete("/push/abonnementen")
@access.signed_in
def unsubscribe():
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str):
        return jsonify({"error": "endpoint"}), 400
    removed = services.remove_subscription(db.session, current_user.id, endpoint=endpoint)
    db.session.commit()
    return ("", 204) if removed else (jsonify({"error": "unknown"}), 404)


@bp.post("/meldingen/apparaten/<int:subscription_id>/verwijder")
@access.signed_in
def remove_device(subscription_id):
    if not services.remove_subscription(db.session, current_user.id, subscription_id=subscription_id):
        abort(404)
    db.session.commit()
    flash(_("Dit apparaat krijgt geen meldingen meer."), "success")
    return redirect(url_for(".settings"))
