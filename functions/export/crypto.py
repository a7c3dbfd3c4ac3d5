"""Signing and encryption of export requests, pluggable per target (`ExportTarget.signing`).

- `hmac-sha256`: the stand-in's signature, HMAC-SHA256 over the timestamp and the body.
- `sm3-sm4`: the 国密 suite a provincial gateway asks for: the record array encrypted with SM4 (ECB,
  PKCS#7, as the provincial code does) and the envelope signed with SM3-HMAC over time + appMark, through
  `gmssl` (pure Python, pinned in pyproject.toml). SM2 (the asymmetric signature of Shandong's gateway)
  needs the gateway's public key, which no target here has yet; it plugs in at the same place.

The key is the target's secret (Secrets Manager), never in the environment."""

from __future__ import annotations

import hashlib
import hmac

_BLOCK = 64  # SM3 and SHA-256 block size in bytes


def hmac_sha256(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sm3_hex(message: bytes) -> str:
    from gmssl import func, sm3

    return str(sm3.sm3_hash(func.bytes_to_list(message)))


def sm3_hmac(key: bytes, message: bytes) -> str:
    """HMAC (RFC 2104) with SM3 as the hash."""
    if len(key) > _BLOCK:
        key = bytes.fromhex(sm3_hex(key))
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes.fromhex(sm3_hex(bytes(b ^ 0x36 for b in key) + message))
    return sm3_hex(bytes(b ^ 0x5C for b in key) + inner)


def _sm4_key(key: bytes) -> bytes:
    """SM4 takes 16 bytes: the secret's first 16 (the secret holds at least 32)."""
    if len(key) < 16:
        raise ValueError("an SM4 key needs 16 bytes")
    return key[:16]


def sm4_encrypt(key: bytes, plaintext: bytes) -> bytes:
    from gmssl import sm4

    cipher = sm4.CryptSM4()
    cipher.set_key(_sm4_key(key), sm4.SM4_ENCRYPT)
    return bytes(cipher.crypt_ecb(plaintext))


def sm4_decrypt(key: bytes, ciphertext: bytes) -> bytes:
    from gmssl import sm4

    cipher = sm4.CryptSM4()
    cipher.set_key(_sm4_key(key), sm4.SM4_DECRYPT)
    return bytes(cipher.crypt_ecb(ciphertext))


def sign(signing: str, key: bytes, message: bytes) -> str:
    if signing == "sm3-sm4":
        return sm3_hmac(key, message)
    return hmac_sha256(key, message)


def verify(signing: str, key: bytes, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(signing, key, message), signature)
