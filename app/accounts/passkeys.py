"""A thin wrapper around py_webauthn that speaks the domain's errors.

Challenges live in the database (WebAuthnChallenge) so that they are single-use and expire in
every server process. User verification is always required: a passkey stands in for both the
password and the second factor.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.accounts.models import Passkey, Person, WebAuthnChallenge
from app.models_base import utcnow


class PasskeyError(Exception):
    """A ceremony that must be refused; the message is for logs, never shown verbatim."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str
    challenge_seconds: int = 300


@dataclass(frozen=True)
class NewCredential:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str]
    backed_up: bool


def _store_challenge(session, challenge: bytes, purpose: str, rp: RelyingParty, *,
                     person_id=None, link_id=None, payload=None) -> str:
    handle = secrets.token_urlsafe(32)
    session.add(WebAuthnChallenge(
        id=handle, challenge=challenge, purpose=purpose, person_id=person_id, link_id=link_id,
        payload=payload or {}, expires_at=utcnow() + timedelta(seconds=rp.challenge_seconds),
    ))
    return handle


@dataclass(frozen=True)
class PendingCeremony:
    """What a challenge row held, detached from the database once it is taken."""

    challenge: bytes
    person_id: int | None
    link_id: int | None
    payload: dict


def take_challenge(session, handle: str | None, purpose: str) -> PendingCeremony:
    """Remove and return a pending challenge; refuse a missing, reused, foreign or expired one.

    The DELETE is the single-use guard: of two requests racing with the same handle, only the
    one whose DELETE removes the row goes on.
    """
    if not handle:
        raise PasskeyError("no challenge in session")
    row = session.get(WebAuthnChallenge, handle)
    if row is None or row.purpose != purpose:
        raise PasskeyError("unknown challenge")
    pending = PendingCeremony(row.challenge, row.person_id, row.link_id, dict(row.payload or {}))
    expired = row.expires_at < utcnow()
    removed = session.execute(
        delete(WebAuthnChallenge).where(WebAuthnChallenge.id == handle),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.expunge(row)
    if removed != 1:
        raise PasskeyError("challenge already used")
    if expired:
        raise PasskeyError("challenge expired")
    return pending


def purge_expired_challenges(session) -> int:
    return session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < utcnow())).rowcount


def registration_options(session, rp: RelyingParty, *, user_handle: bytes, user_name: str,
                         display_name: str, existing: list[Passkey] = (), person_id=None,
                         link_id=None, payload=None) -> tuple[str, str]:
    """Options for navigator.credentials.create() as JSON, and the challenge handle."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
        timeout=rp.challenge_seconds * 1000,
    )
    handle = _store_challenge(session, options.challenge, "register", rp,
                              person_id=person_id, link_id=link_id, payload=payload)
    return options_to_json(options), handle


def verify_registration(rp: RelyingParty, challenge: PendingCeremony, credential: dict | str) -> NewCredential:
    """Check a registration response against the challenge; return what to store."""
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(f"registration refused: {exc}") from exc
    transports = _transports(credential)
    return NewCredential(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        backed_up=bool(verified.credential_backed_up),
    )


def _transports(credential: dict | str) -> list[str]:
    data = json.loads(credential) if isinstance(credential, str) else credential
    known = {t.value for t in AuthenticatorTransport}
    found = (data.get("response") or {}).get("transports") or []
    return [t for t in found if isinstance(t, str) and t in known]


def authentication_options(session, rp: RelyingParty) -> tuple[str, str]:
    """Options for a discoverable sign-in (no allowCredentials: the phone offers its passkeys)."""
    options = generate_authentication_options(
        rp_id=rp.id,
        user_verification=UserVerificationRequirement.REQUIRED,
        timeout=rp.challenge_seconds * 1000,
    )
    handle = _store_challenge(session, options.challenge, "login", rp)
    return options_to_json(options), handle


def verify_authentication(session, rp: RelyingParty, challenge: PendingCeremony, credential: dict) -> Passkey:
    """Check a sign-in response; update the sign count; return the passkey used."""
    try:
        raw_id = base64url_to_bytes(credential["rawId"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PasskeyError("malformed credential") from exc
    passkey = session.scalar(select(Passkey).where(Passkey.credential_id == raw_id))
    if passkey is None:
        raise PasskeyError("unknown credential")
    user_handle = (credential.get("response") or {}).get("userHandle")
    if user_handle and user_handle != bytes_to_base64url(passkey.person.user_handle):
        raise PasskeyError("user handle does not match")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        # A sign count that does not grow means a cloned authenticator: refused here too.
        raise PasskeyError(f"authentication refused: {exc}") from exc
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    return passkey


def person_for_new_credential(person: Person, new: NewCredential, label: str) -> Passkey:
    passkey = Passkey(
        credential_id=new.credential_id, public_key=new.public_key, sign_count=new.sign_count,
        transports=new.transports, backed_up=new.backed_up, label=label[:80],
    )
    person.passkeys.append(passkey)
    return passkey
