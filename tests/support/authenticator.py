"""A software passkey authenticator that produces real WebAuthn data for tests.

soft-webauthn never sets the UV (user verified) flag, so it cannot pass a
relying party that requires user verification. This one can: ES256 (P-256)
keys, "none" attestation, and the same JSON shape a browser's
``credential.toJSON()`` gives, so py_webauthn verifies it like a real passkey.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, replace

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


class SoftAuthenticator:
    def __init__(self, *, origin: str, user_verified: bool = True):
        self.origin = origin
        self.user_verified = user_verified
        self.credentials: dict[str, Credential] = {}

    def _flags(self, attested: bool = False) -> bytes:
        flags = 0x01 | (0x04 if self.user_verified else 0) | (0x40 if attested else 0)
        return bytes([flags])

    def _client_data(self, kind: str, options: dict, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": options["challenge"],
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def create(self, options: dict, *, origin: str | None = None, credential_id: bytes | None = None) -> dict:
        """A new credential; `credential_id` forces its id (to replay one that exists)."""
        rp_id = options["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                                -3: numbers.y.to_bytes(32, "big")})
        cred_id = credential_id or os.urandom(32)
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + self._flags(attested=True)
                     + (0).to_bytes(4, "big") + bytes(16) + len(cred_id).to_bytes(2, "big")
                     + cred_id + cose_key)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials[b64url(cred_id)] = Credential(
            key, rp_id, b64url_decode(options["user"]["id"]), 0)
        client_data = self._client_data("webauthn.create", options, origin)
        return {"id": b64url(cred_id), "rawId": b64url(cred_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data),
                             "attestationObject": b64url(attestation),
                             "transports": ["internal"]},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def get(self, options: dict, *, credential_id: str | None = None,
            origin: str | None = None) -> dict:
        rp_id = options["rpId"]
        allowed = [c["id"] for c in options.get("allowCredentials") or []]
        candidates = [cid for cid, cred in self.credentials.items()
                      if cred.rp_id == rp_id and (not allowed or cid in allowed)]
        if credential_id is not None:
            candidates = [cid for cid in candidates if cid == credential_id]
        if not candidates:
            raise LookupError(f"no credential for rp {rp_id!r}")
        cred_id = candidates[-1]
        cred = self.credentials[cred_id]
        cred.sign_count += 1
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + self._flags()
                     + cred.sign_count.to_bytes(4, "big"))
        client_data = self._client_data("webauthn.get", options, origin)
        signature = cred.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        return {"id": cred_id, "rawId": cred_id, "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature),
                             "userHandle": b64url(cred.user_handle)},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def clone(self) -> "SoftAuthenticator":
        twin = SoftAuthenticator(origin=self.origin, user_verified=self.user_verified)
        for cid, cred in self.credentials.items():
            pem = cred.private_key.private_bytes(serialization.Encoding.PEM,
                                                 serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption())
            key = serialization.load_pem_private_key(pem, password=None)
            twin.credentials[cid] = replace(cred, private_key=key)
        return twin
