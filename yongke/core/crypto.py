"""Field encryption for personal data (身份证号码): Fernet, with a keyed hash for look-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.fernet import Fernet, InvalidToken


def _key_material() -> bytes:
    # A dedicated key when configured; otherwise derived from the secret key, so a fresh
    # checkout works. Rotating it needs a re-encryption pass (not automatic).
    explicit = os.environ.get("YONGKE_FIELD_KEY")
    if explicit:
        return explicit.encode()
    from django.conf import settings

    return hashlib.sha256(b"yongke-field-key:" + settings.SECRET_KEY.encode()).digest()


def _fernet() -> Fernet:
    material = _key_material()
    if len(material) == 44:  # already a Fernet key
        return Fernet(material)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material).digest()))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("无法解密：密钥已更换或数据损坏 / cannot decrypt") from None


def lookup_hash(value: str) -> str:
    """A keyed hash: finds a person by ID number without storing it in the clear."""
    return hmac.new(_key_material(), value.encode(), hashlib.sha256).hexdigest()
