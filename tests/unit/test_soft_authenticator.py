"""The test authenticator's output is accepted (and refused) by py_webauthn itself."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

import pytest  # noqa: E402
from webauthn import (  # noqa: E402
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import (  # noqa: E402
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (  # noqa: E402
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from support.authenticator import SoftAuthenticator  # noqa: E402

RP_ID = "localhost"
ORIGIN = "http://localhost:5000"


def register(auth, **kwargs):
    options = generate_registration_options(
        rp_id=RP_ID, rp_name="Leerkring", user_name="anna", user_id=b"user-1",
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED))
    credential = auth.create(json.loads(options_to_json(options)), **kwargs)
    return credential, verify_registration_response(
        credential=credential, expected_challenge=options.challenge,
        expected_rp_id=RP_ID, expected_origin=ORIGIN, require_user_verification=True)


def authenticate(auth, public_key, sign_count, allow=(), **kwargs):
    options = generate_authentication_options(
        rp_id=RP_ID, user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=i) for i in allow])
    assertion = auth.get(json.loads(options_to_json(options)), **kwargs)
    return assertion, verify_authentication_response(
        credential=assertion, expected_challenge=options.challenge, expected_rp_id=RP_ID,
        expected_origin=ORIGIN, credential_public_key=public_key,
        credential_current_sign_count=sign_count, require_user_verification=True)


def test_register_then_sign_in_with_discoverable_credential():
    auth = SoftAuthenticator(origin=ORIGIN)
    credential, reg = register(auth)
    assert reg.user_verified and reg.sign_count == 0
    assert credential["id"] in auth.credentials
    assert credential["response"]["transports"] == ["internal"]

    assertion, result = authenticate(auth, reg.credential_public_key, 0)
    assert result.new_sign_count == 1 and result.user_verified
    assert assertion["response"]["userHandle"] == "dXNlci0x"  # b"user-1"

    _, again = authenticate(auth, reg.credential_public_key, 1, allow=[reg.credential_id])
    assert again.new_sign_count == 2


def test_unverified_user_is_refused_when_uv_required():
    auth = SoftAuthenticator(origin=ORIGIN, user_verified=False)
    with pytest.raises(InvalidRegistrationResponse):
        register(auth)
    verified = SoftAuthenticator(origin=ORIGIN)
    _, reg = register(verified)
    verified.user_verified = False
    with pytest.raises(InvalidAuthenticationResponse):
        authenticate(verified, reg.credential_public_key, 0)


def test_wrong_origin_is_refused():
    auth = SoftAuthenticator(origin=ORIGIN)
    with pytest.raises(InvalidRegistrationResponse):
        register(auth, origin="https://evil.example")
    _, reg = register(auth)
    with pytest.raises(InvalidAuthenticationResponse):
        authenticate(auth, reg.credential_public_key, 0, origin="https://evil.example")


def test_clone_replays_the_same_sign_count():
    auth = SoftAuthenticator(origin=ORIGIN)
    _, reg = register(auth)
    twin = auth.clone()
    _, first = authenticate(auth, reg.credential_public_key, 0)
    with pytest.raises(InvalidAuthenticationResponse, match="sign count"):
        authenticate(twin, reg.credential_public_key, first.new_sign_count)
