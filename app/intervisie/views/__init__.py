"""Intervisie views, one blueprint split by purpose: planning (plan, change, cancel, the lead's
overview), round (the round page, RSVP, the case, reflection), live (the live round and its
stream) and calendar (.ics downloads and the private feed). Endpoint names are the blueprint's
(`intervisie.plan`, ...), whichever module holds the view."""
from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import BadRequest, Conflict

from app import access
from app.intervisie import services

bp = Blueprint("intervisie", __name__, url_prefix="/intervisie")
# A plan that no longer applies: a round that started or was cancelled meanwhile is 409, any
# other refusal (an RSVP that is no answer) 400. Forms that show the message catch it themselves.
access.answer_with(bp, services.PlanError, lambda exc: Conflict() if exc.field == "round" else BadRequest())

from app.intervisie.views import calendar, live, planning, round  # noqa: E402,F401  (registers the views)
