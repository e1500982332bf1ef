"""Secret tokens in URLs and cookies (one-time links, sign-in sessions, calendar feeds).

A token is shown once, to its owner; the database keeps only its SHA-256, so a copy of the
database opens nothing. Pure: no Flask, no database.
"""
from __future__ import annotations

import hashlib
import secrets


def new_token(nbytes: int = 24) -> str:
    """A random, URL-safe token of `nbytes` random bytes."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """What is stored and looked up instead of the token itself (64 hex characters)."""
    return hashlib.sha256(token.encode()).hexdigest()
