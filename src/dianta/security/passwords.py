"""Password hashing (the issue's "Authentication: password login with argon2 hashes").

Argon2id with argon2-cffi's recommended parameters (RFC 9106, second recommended option). Only hashes are
stored; a wrong password is an ordinary ``False``, never an exception. The length rule (at least
:data:`MIN_PASSWORD_LENGTH` characters) is checked where passwords are set (``users.create_user``,
``users.bootstrap_admin``), not here, so that old hashes always verify.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

#: the shortest password a user may set (the issue: reject weak passwords at create/bootstrap)
MIN_PASSWORD_LENGTH = 10

_HASHER = PasswordHasher(type=Type.ID)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (PHC string with salt and parameters), for ``users.password_hash``
    and ``api_keys.secret_hash``."""
    return _HASHER.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 ``hashed``. False for a wrong password and for a malformed
    or unsupported hash; never raises for either."""
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Whether ``hashed`` was made with other parameters than today's (then re-hash at the next login)."""
    try:
        return _HASHER.check_needs_rehash(hashed)
    except (InvalidHashError, ValueError):
        return True


@cache
def dummy_hash() -> str:
    """A hash of a random password, verified when the user is unknown or has no password so that the
    time a failed login takes does not reveal whether the user exists."""
    import secrets

    return hash_password(secrets.token_urlsafe(16))
