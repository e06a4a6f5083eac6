"""Code signing as the official CLI's ``release-react --privateKeyPath`` does it.

The ``contentHash`` is the package hash of the release's files (zip entry paths, so
``CodePush/main.jsbundle``); an RS256 JWT over ``{claimVersion, contentHash, iat}`` goes
into the zip as ``CodePush/.codepushrelease``, where devices look for it. Devices, like the
server, leave that file out of the hash. Needs the ``signing`` extra (PyJWT, cryptography).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from .._exceptions import ReleaseSignatureError
from .._models.secret import SecretBytes, redacted
from .hashing import is_ignored, is_signature, manifest_hash
from .package_reader import UnsafePackageError, check_names, read_package

__all__ = [
    "SIGNATURE_ENTRY",
    "SIGNED_FOLDER",
    "ReleaseSigner",
    "signable",
    "verify_release",
]

CLAIM_VERSION = "1.0.0"
SIGNED_FOLDER = "CodePush"
SIGNATURE_ENTRY = f"{SIGNED_FOLDER}/.codepushrelease"
EXTRA_HINT = (
    "code signing needs PyJWT and cryptography: install the 'signing' extra "
    "(pip install 'codepush-async[signing]')"
)

KeySource = str | bytes | os.PathLike[str]


def _jwt() -> Any:
    """The ``jwt`` module, or an ``ImportError`` naming the extra to install."""
    try:
        import cryptography  # noqa: F401 - RS256 needs it
        import jwt
    except ImportError as error:
        raise ImportError(EXTRA_HINT) from error
    return jwt


def _pem(source: object, what: str) -> SecretBytes:
    """PEM bytes from PEM text/bytes or a path to a PEM file; never echoes key material.

    What it returns, and what it was given as text, is held redacted (``SecretBytes``,
    ``Secret``): no frame that can raise has the key in a plain local.
    """
    source = redacted(source)
    if isinstance(source, SecretBytes):
        return source
    if isinstance(source, str) and "-----BEGIN" in source:
        return SecretBytes(source.encode("ascii", "replace"))
    if isinstance(source, (str, os.PathLike)):
        # os.path.isfile, not Path.is_file: a name too long (key text without its armour)
        # is False there, not an OSError. No Path is made of text that may be a key.
        if not (os.fspath(source) and os.path.isfile(os.path.expanduser(source))):
            # Text may be a key that lost its BEGIN/END lines (base64, base64url, with or
            # without line breaks): a str is never echoed; a Path object is.
            if isinstance(source, str):
                raise ValueError(
                    f"{what}: the text given is neither PEM text nor the path of a PEM file "
                    "(not shown: it may be key material)"
                )
            raise ValueError(f"{what}: {Path(source).expanduser()} is not a PEM file")
        return SecretBytes(Path(os.path.expanduser(source)).read_bytes())
    raise ValueError(f"{what} must be PEM bytes or text, or a path, got {type(source).__name__}")


def _load(source: object, what: str, *, private: bool) -> Any:
    """The RSA key object; a ``ValueError`` saying what is wrong (without the key).

    The one place key material leaves its redacting value: handed to cryptography.
    """
    _jwt()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = _pem(source, what)
    kind = "private" if private else "public"
    try:
        key: Any = (
            serialization.load_pem_private_key(bytes(pem), password=None)
            if private
            else serialization.load_pem_public_key(bytes(pem))
        )
    except (ValueError, TypeError) as error:
        hint = " (an encrypted key is not supported)" if pem.find(b"ENCRYPTED") >= 0 else ""
        raise ValueError(f"{what} is not a PEM {kind} key{hint}") from error
    wanted = rsa.RSAPrivateKey if private else rsa.RSAPublicKey
    if not isinstance(key, wanted):
        raise ValueError(f"{what} must be an RSA {kind} key: devices verify RS256 signatures")
    return key


def signable(files: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    """The files a signed zip ships: the manifest's own ignore rule, and no old signature.

    Names a device would install otherwise than signed (see ``check_names``) are refused,
    so what the SDK signs, ``verify_release`` and devices accept.
    """
    kept = [(p, name) for p, name in files if not (is_ignored(name) or is_signature(name))]
    try:
        check_names(name for _, name in kept)
    except UnsafePackageError as error:
        raise ValueError(f"contents: cannot be signed: {error}") from error
    return kept


class ReleaseSigner:
    """Signs a zip's manifest with a private key (checked when built, before any request)."""

    def __init__(self, private_key: object, now: Callable[[], float]) -> None:
        self._jwt = _jwt()
        self._key = _load(private_key, "private_key", private=True)
        self._now = now

    def __repr__(self) -> str:
        return "ReleaseSigner(<private key>)"

    def __call__(self, manifest: dict[str, str]) -> tuple[str, bytes]:
        claims = {
            "claimVersion": CLAIM_VERSION,
            "contentHash": manifest_hash(manifest),
            "iat": int(self._now()),
        }
        token: str = self._jwt.encode(claims, self._key, algorithm="RS256")
        return SIGNATURE_ENTRY, token.encode()  # a JWT is ASCII


def _read_package(package: Path) -> tuple[dict[str, str], bytes | None]:
    """The device's view of a package: ``{path: sha256}`` of its files, and the signature."""
    try:
        installed = read_package(package, SIGNATURE_ENTRY)
    except UnsafePackageError as error:
        raise ReleaseSignatureError(f"{package} cannot be verified: {error}") from error
    return installed.manifest, installed.signature


def _verify(package: Path, public_key: object) -> str:
    jwt = _jwt()
    key = _load(public_key, "public_key", private=False)
    if not package.exists():
        raise ValueError(f"{package} does not exist")
    manifest, signature = _read_package(package)
    if signature is None:
        raise ReleaseSignatureError(f"{package} is not signed: no {SIGNATURE_ENTRY}")
    try:
        claims = jwt.decode(
            signature.strip(),  # PyJWT takes bytes; a non-ASCII byte is a DecodeError
            key,
            algorithms=["RS256"],
            options={"verify_iat": False, "require": ["contentHash"]},  # as devices: no iat check
        )
    except jwt.InvalidSignatureError as error:
        raise ReleaseSignatureError(
            f"the signature of {package} does not verify with this public key"
        ) from error
    except jwt.PyJWTError as error:
        raise ReleaseSignatureError(f"the signature of {package} is not valid: {error}") from error
    expected = claims.get("contentHash")
    actual = manifest_hash(manifest)
    if expected != actual:
        raise ReleaseSignatureError(
            f"the files of {package} do not match their signature: contentHash {expected}, "
            f"files hash to {actual}"
        )
    return actual


async def verify_release(zip_or_dir: str | os.PathLike[str], public_key: KeySource) -> str:
    """Check a signed release as a device does; return its ``contentHash``.

    ``zip_or_dir`` is the zip (or the folder it unzips to), ``public_key`` PEM text, bytes
    or a path. The JWT at ``CodePush/.codepushrelease`` must verify (RS256) and its
    ``contentHash`` equal the hash of the files; otherwise ``ReleaseSignatureError``. The
    zip is read as devices unzip it, with bounded memory: one they could install otherwise
    (duplicate, aliasing or escaping names, hidden entries, odd methods) is refused too.
    """
    if not isinstance(zip_or_dir, (str, os.PathLike)) or not os.fspath(zip_or_dir):
        raise ValueError(f"zip_or_dir must be a path to a zip or a folder, got {zip_or_dir!r}")
    return await anyio.to_thread.run_sync(_verify, Path(zip_or_dir), public_key)
