"""Field encryption for personal data (身份证号码, 银行账号): Fernet, with a keyed hash for look-ups.

The keys are `settings.YONGKE_FIELD_KEYS` (env `YONGKE_FIELD_KEY`, Fernet keys separated by
commas; in development a generated `var/field_key`): the first encrypts and keys the look-up
hash, every one decrypts (MultiFernet). A key derived from SECRET_KEY (and from each of
SECRET_KEY_FALLBACKS) — how values were encrypted before the field key existed — still
decrypts, so existing data stays readable, but never encrypts. `yongke crypto rotate`
re-encrypts every value, and recomputes its look-up hash, under the first key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

HINT = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


def parse_keys(text: str) -> list[str]:
    """The Fernet keys of a comma-separated value, each checked; ValueError naming a bad one."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    for i, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ValueError(
                f"YONGKE_FIELD_KEY 第 {i} 个密钥不是 Fernet 密钥 / key {i} is not a Fernet key; generate one with: {HINT}"
            ) from None
    return keys


def generate_key() -> str:
    return Fernet.generate_key().decode()


def legacy_key(secret: str) -> bytes:
    """The Fernet key the field key used to be derived as, from a secret key."""
    material = hashlib.sha256(b"yongke-field-key:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(hashlib.sha256(material).digest())


def _legacy_hash_key(secret: str) -> bytes:
    return hashlib.sha256(b"yongke-field-key:" + secret.encode()).digest()


def _configured() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from django.conf import settings

    keys = tuple(getattr(settings, "YONGKE_FIELD_KEYS", ()) or ())
    if not keys:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"未配置字段加密密钥 / YONGKE_FIELD_KEY is not set; generate one with: {HINT}")
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    return keys, tuple(secrets)


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...], secrets: tuple[str, ...]) -> tuple[Fernet, MultiFernet, MultiFernet]:
    current = [Fernet(k.encode()) for k in keys]
    legacy = [Fernet(legacy_key(s)) for s in secrets]
    return current[0], MultiFernet(current + legacy), MultiFernet([current[0]])


def encrypt(value: str) -> str:
    primary, _, _ = _fernets(*_configured())
    return primary.encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    _, every, _ = _fernets(*_configured())
    try:
        return every.decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("无法解密：密钥已更换或数据损坏 / cannot decrypt") from None


def is_current(token: str) -> bool:
    """Whether a value is encrypted under the first key already (rotation leaves it alone)."""
    _, _, first = _fernets(*_configured())
    try:
        first.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def lookup_hash(value: str) -> str:
    """A keyed hash under the first key: finds a person by ID number without storing it in the clear."""
    keys, _ = _configured()
    return hmac.new(keys[0].encode(), value.encode(), hashlib.sha256).hexdigest()


def lookup_hashes(value: str) -> list[str]:
    """The hash under every key that may still stand in the database (before `crypto rotate`):
    the first key's first, then the older keys', then the SECRET_KEY-derived ones."""
    keys, secrets = _configured()
    out = [hmac.new(k.encode(), value.encode(), hashlib.sha256).hexdigest() for k in keys]
    out += [hmac.new(_legacy_hash_key(s), value.encode(), hashlib.sha256).hexdigest() for s in secrets]
    return list(dict.fromkeys(out))
