"""Code signing: ``releases.release(..., private_key=)`` and ``verify_release``.

Checked against vectors computed by hand here, against Node's crypto and path modules
(tests/js/js_tools.js), and against the emulator, which hashes packages as the official
server does (``.codepushrelease`` left out).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from io import BytesIO
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from codepush_async import (
    AsyncCodePush,
    ConflictError,
    ReleaseSignatureError,
    prepare_release,
    verify_release,
)
from codepush_async._release.hashing import package_hash
from codepush_async._release.signing import ReleaseSigner
from codepush_async.emulator import CodePushEmulator, ManualClock
from tests._backend import httpx
from tests._node import js_tools

pytestmark = pytest.mark.anyio

APP, DEP = "Signed", "Staging"
NOW = 1_700_000_000.0


def _pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return _pair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[bytes, bytes]:
    return _pair()


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A release-react-like output folder named ``build`` (not ``CodePush``)."""
    root = tmp_path / "build"
    (root / "assets" / "img").mkdir(parents=True)
    (root / "main.jsbundle").write_text("console.log('héllo')")
    (root / "assets" / "img" / "logo.png").write_bytes(bytes(range(256)))
    (root / ".DS_Store").write_bytes(b"finder")
    (root / "assets" / ".DS_Store").write_bytes(b"finder")
    (root / ".codepushrelease").write_text("an old signature")
    return root


class Server:
    def __init__(self, emulator: CodePushEmulator, cp: AsyncCodePush) -> None:
        self.emulator, self.cp = emulator, cp

    async def blob(self, url: str | None) -> bytes:
        assert url is not None
        async with httpx.AsyncClient(transport=self.emulator.transport) as http:
            return (await http.get(url)).content


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    clock = ManualClock(NOW)
    emulator = CodePushEmulator(clock=clock)
    key = emulator.create_account("signer@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport,
                             clock=clock) as cp:
        await cp.apps.create(APP)
        yield Server(emulator, cp)


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


# Computed by hand: the sorted "path:sha256" list, as JSON with no spaces, SHA-256'd.
MAIN_SHA = hashlib.sha256("console.log('héllo')".encode()).hexdigest()
LOGO_SHA = hashlib.sha256(bytes(range(256))).hexdigest()
MANIFEST_TEXT = (
    f'["CodePush/assets/img/logo.png:{LOGO_SHA}","CodePush/main.jsbundle:{MAIN_SHA}"]'
)
CONTENT_HASH = hashlib.sha256(MANIFEST_TEXT.encode()).hexdigest()


def test_the_hand_computed_vector() -> None:
    # The same values printed by `node tests/js/js_tools.js CodePush` on these two files.
    assert MAIN_SHA == "890042100275762a449f974b5858ee77e7378733f3b31f32bd96c5bba29b4d24"
    assert LOGO_SHA == "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880"
    assert CONTENT_HASH == "ad45960c4685095f67daa1f8ca8e99dfe9decb4036f79076aec5996d4a6b27a0"


async def test_a_signed_release_carries_the_clis_jwt_in_the_zip_only(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    private, public = keys
    before = _snapshot(bundle)

    package = await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=private)

    assert _snapshot(bundle) == before  # the user's directory is never modified
    blob = await server.blob(package.blob_url)
    with zipfile.ZipFile(BytesIO(blob)) as archive:
        names = sorted(archive.namelist())
        token = archive.read("CodePush/.codepushrelease").decode()
    # ignored files and the old signature are left out; the top folder is CodePush
    assert names == ["CodePush/.codepushrelease", "CodePush/assets/img/logo.png",
                     "CodePush/main.jsbundle"]
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}
    claims = jwt.decode(token, public, algorithms=["RS256"])
    assert claims == {"claimVersion": "1.0.0", "contentHash": CONTENT_HASH, "iat": int(NOW)}
    assert package.package_hash == CONTENT_HASH  # the server hash leaves the JWT out
    assert package_hash(blob) == CONTENT_HASH  # so does the SDK's reconciliation hash
    zipped = tmp_path / "release.zip"
    zipped.write_bytes(blob)
    assert await verify_release(zipped, public) == CONTENT_HASH


async def test_node_computes_the_same_content_hash_and_accepts_the_signature(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    private, public = keys
    package = await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=private)
    with zipfile.ZipFile(BytesIO(await server.blob(package.blob_url))) as archive:
        archive.extractall(tmp_path / "device")
    signature = tmp_path / "device" / "CodePush" / ".codepushrelease"
    (tmp_path / "public.pem").write_bytes(public)

    # sign.ts: the CodePush folder's files, named relative to its parent
    js = js_tools("CodePush", cwd=tmp_path / "device")
    checked = js_tools("--verify", str(signature), str(tmp_path / "public.pem"), cwd=tmp_path)

    assert js["contentHash"] == CONTENT_HASH
    assert checked["valid"] is True
    assert checked["payload"]["contentHash"] == CONTENT_HASH
    (tmp_path / "other.pem").write_bytes(_pair()[1])
    wrong = js_tools("--verify", str(signature), str(tmp_path / "other.pem"), cwd=tmp_path)
    assert wrong["valid"] is False


async def test_a_device_hash_over_the_shipped_files_equals_the_content_hash(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    private, public = keys
    package = await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=private)
    device = tmp_path / "device"
    with zipfile.ZipFile(BytesIO(await server.blob(package.blob_url))) as archive:
        archive.extractall(device)
    # The device walks the unzipped folder, leaving out __MACOSX/, .DS_Store and
    # .codepushrelease, and compares with the JWT's contentHash and the packageHash.
    lines = sorted(
        f"{p.relative_to(device).as_posix()}:{hashlib.sha256(p.read_bytes()).hexdigest()}"
        for p in device.rglob("*")
        if p.is_file() and p.name not in (".DS_Store", ".codepushrelease")
    )
    device_hash = hashlib.sha256(json.dumps(lines, separators=(",", ":")).encode()).hexdigest()
    token = (device / "CodePush" / ".codepushrelease").read_text()
    assert device_hash == jwt.decode(token, public, algorithms=["RS256"])["contentHash"]
    assert device_hash == package.package_hash
    assert await verify_release(device, public) == device_hash  # the folder form


async def test_signed_and_unsigned_releases_of_the_same_files_are_identical(
    server: Server, tmp_path: Path, keys: tuple[bytes, bytes]
) -> None:
    codepush = tmp_path / "CodePush"  # as release-react names its output
    codepush.mkdir()
    (codepush / "main.jsbundle").write_text("same bundle")
    unsigned = await server.cp.releases.release(APP, DEP, codepush, "1.0.0")
    with pytest.raises(ConflictError, match="identical"):
        await server.cp.releases.release(APP, DEP, codepush, "1.0.0", private_key=keys[0])
    other = await server.cp.releases.release(APP, "Production", codepush, "1.0.0",
                                             private_key=keys[0])
    assert other.package_hash == unsigned.package_hash


async def test_verification_fails_with_a_wrong_key_or_a_tampered_file(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], other_keys: tuple[bytes, bytes],
    tmp_path: Path,
) -> None:
    package = await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=keys[0])
    blob = await server.blob(package.blob_url)
    good = tmp_path / "good.zip"
    good.write_bytes(blob)
    (tmp_path / "public.pem").write_bytes(keys[1])
    assert await verify_release(str(good), tmp_path / "public.pem") == CONTENT_HASH  # paths
    assert await verify_release(good, keys[1].decode()) == CONTENT_HASH  # PEM text
    assert await verify_release(zip_or_dir=good, public_key=keys[1]) == CONTENT_HASH  # spec names

    with pytest.raises(ReleaseSignatureError, match="does not verify with this public key"):
        await verify_release(good, other_keys[1])

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(BytesIO(blob)) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, b"evil()" if info.filename.endswith(".jsbundle") else data)
    with pytest.raises(ReleaseSignatureError, match="do not match their signature"):
        await verify_release(tampered, keys[1])

    added = tmp_path / "added.zip"
    added.write_bytes(blob)
    with zipfile.ZipFile(added, "a") as archive:
        archive.writestr("CodePush/extra.js", "more")
    with pytest.raises(ReleaseSignatureError, match="do not match their signature"):
        await verify_release(added, keys[1])


async def test_an_unsigned_package_or_a_non_zip_does_not_verify(
    tmp_path: Path, keys: tuple[bytes, bytes]
) -> None:
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("CodePush/main.jsbundle", "x")
    with pytest.raises(ReleaseSignatureError, match=r"is not signed: no CodePush/\.codepushrelease"):
        await verify_release(plain, keys[1])
    claimless = tmp_path / "claimless.zip"
    private = serialization.load_pem_private_key(keys[0], password=None)
    with zipfile.ZipFile(claimless, "w") as archive:
        archive.writestr("CodePush/main.jsbundle", "x")
        archive.writestr("CodePush/.codepushrelease",
                         jwt.encode({"claimVersion": "1.0.0"}, private, algorithm="RS256"))
    with pytest.raises(ReleaseSignatureError, match=r'is not valid: .*"contentHash"'):
        await verify_release(claimless, keys[1])
    garbage = tmp_path / "garbage.zip"
    with zipfile.ZipFile(garbage, "w") as archive:
        archive.writestr("CodePush/.codepushrelease", "not.a.jwt")
    with pytest.raises(ReleaseSignatureError, match="is not valid"):
        await verify_release(garbage, keys[1])
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ReleaseSignatureError, match="neither a directory nor a zip"):
        await verify_release(junk, keys[1])
    with pytest.raises(ValueError, match="does not exist"):
        await verify_release(tmp_path / "missing.zip", keys[1])
    with pytest.raises(ValueError, match="public_key is not a PEM public key"):
        await verify_release(plain, b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")


async def test_a_file_or_bytes_release_cannot_be_signed(
    server: Server, tmp_path: Path, keys: tuple[bytes, bytes]
) -> None:
    single = tmp_path / "main.jsbundle"
    single.write_text("x")
    before = len(server.emulator.requests)
    for contents in (single, b"PK\x03\x04 bytes"):
        with pytest.raises(ValueError, match="only a directory release can be signed"):
            await server.cp.releases.release(APP, DEP, contents, "1.0.0", private_key=keys[0])
    assert len(server.emulator.requests) == before


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
         "private_key is not a PEM private key"),
        ("/no/such/key.pem",  # text is never shown: it may be key material
         "private_key: the text given is neither PEM text nor the path of a PEM file "
         "(not shown: it may be key material)"),
        (Path("~/no-such-key.pem"),  # a Path is shown, as the path it was looked for at
         f"private_key: {Path.home() / 'no-such-key.pem'} is not a PEM file"),
        (42, "private_key must be PEM bytes or text, or a path, got int"),
    ],
    ids=["not-a-key", "neither-pem-nor-path", "missing-file", "int"],
)
async def test_a_bad_private_key_is_refused_before_any_request(
    server: Server, bundle: Path, key: object, message: str
) -> None:
    before = len(server.emulator.requests)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$") as caught:
        await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=key)  # type: ignore[arg-type]
    assert "not a key" not in str(caught.value)  # key material is never echoed
    assert len(server.emulator.requests) == before


@pytest.mark.parametrize(
    "lines", [slice(1, -1), slice(1, 3), "too long for a file name", "base64url"]
)
async def test_a_key_without_its_pem_armour_is_never_echoed(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], lines: slice | str
) -> None:
    """Key text that lost its BEGIN/END lines (an environment variable) reads as a path."""
    if isinstance(lines, slice):
        body = "".join(keys[0].decode().splitlines()[lines])  # long or short, base64 only
    elif lines == "base64url":  # the URL-safe alphabet, as some secret stores keep it
        body = "".join(keys[0].decode().splitlines()[1:4]).replace("+", "-").replace("/", "_")
    else:  # base64 with no "/" for over 255 bytes, too long for a file name: not an OSError
        body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + "BKcwggSjAgEAAoIBAQC" * 20
    before = len(server.emulator.requests)
    with pytest.raises(ValueError, match="private_key: the text given is neither PEM") as caught:
        await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=body)
    assert body[:40] not in str(caught.value)
    assert body[:40] not in repr(caught.value.__cause__) + repr(caught.value.__context__)
    assert len(server.emulator.requests) == before


async def test_only_rsa_keys_sign_and_a_key_path_works(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="must be an RSA private key"):
        await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=ec_key)
    path = tmp_path / "key.pem"
    path.write_bytes(keys[0])
    package = await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=path)
    assert package.package_hash == CONTENT_HASH
    text_release = await server.cp.releases.release(
        APP, "Production", bundle, "1.0.0", private_key=keys[0].decode()
    )
    assert text_release.package_hash == CONTENT_HASH


async def test_without_the_signing_extra_the_error_names_it_before_any_request(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jwt", None)  # as if PyJWT were not installed
    before = len(server.emulator.requests)
    with pytest.raises(ImportError, match=r"install the 'signing' extra .*codepush-async\[signing\]"):
        await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=keys[0])
    with pytest.raises(ImportError, match="signing"):
        await verify_release(bundle, keys[1])
    assert len(server.emulator.requests) == before


async def test_bulk_release_signs_the_one_zip_it_shares(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    apps = ["Fleet-A", "Fleet-B", "Fleet-C"]
    for app in apps:
        await server.cp.apps.create(app)

    first = await server.cp.bulk.release(apps, "Staging", bundle, "1.0.0", private_key=keys[0],
                                         description="signed fleet")
    again = await server.cp.bulk.release(apps, "Staging", bundle, "1.0.0", private_key=keys[0])

    assert [item.status for item in first.items] == ["done"] * 3
    assert [item.status for item in again.items] == ["skipped"] * 3  # same hash: nothing sent
    tokens = set()
    for item in first.items:
        assert item.value.package_hash == CONTENT_HASH
        blob = await server.blob(item.value.blob_url)
        (tmp_path / "one.zip").write_bytes(blob)
        assert await verify_release(tmp_path / "one.zip", keys[1]) == CONTENT_HASH
        with zipfile.ZipFile(BytesIO(blob)) as archive:
            tokens.add(archive.read("CodePush/.codepushrelease"))
    assert len(tokens) == 1  # zipped and signed once for the whole fleet


async def test_prepare_release_signs_or_refuses_as_release_does(
    bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    clock = ManualClock(NOW + 60)
    async with prepare_release(bundle, private_key=keys[0], clock=clock) as prepared:
        assert prepared.package_hash == CONTENT_HASH
        assert isinstance(prepared.contents, Path)
        with zipfile.ZipFile(prepared.contents) as archive:
            token = archive.read("CodePush/.codepushrelease").decode()
    assert jwt.decode(token, keys[1], algorithms=["RS256"])["iat"] == int(NOW + 60)
    single = tmp_path / "main.jsbundle"
    single.write_text("x")
    with pytest.raises(ValueError, match="only a directory release can be signed"):
        async with prepare_release(single, private_key=keys[0]):
            pass


def _rezip(blob: bytes, target: Path, rename: Callable[[str], str] = str,
           extra: Sequence[tuple[str, bytes]] = (), directories: Sequence[str] = ()) -> Path:
    """The zip ``blob`` rewritten as other tools write it: folders first, names renamed."""
    with zipfile.ZipFile(BytesIO(blob)) as source, zipfile.ZipFile(target, "w") as archive:
        for folder in directories:
            archive.writestr(folder, b"")
        for info in source.infolist():
            archive.writestr(rename(info.filename), source.read(info))
        for name, data in extra:
            archive.writestr(name, data)
    return target


async def _signed_zip(server: Server, bundle: Path, private: bytes) -> bytes:
    package = await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=private)
    return await server.blob(package.blob_url)


async def test_verification_ignores_what_a_device_ignores(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    """Finder's ``__MACOSX/`` and ``.DS_Store``, stray signatures, folder entries: unhashed."""
    blob = await _signed_zip(server, bundle, keys[0])
    finder = [("__MACOSX/CodePush/._main.jsbundle", b"resource fork"),
              ("CodePush/.DS_Store", b"finder"), ("CodePush/assets/.DS_Store", b"finder"),
              ("CodePush/assets/img/.codepushrelease", b"a stray signature")]
    rezipped = _rezip(blob, tmp_path / "finder.zip", extra=finder,
                      directories=["CodePush/", "CodePush/assets/", "CodePush/assets/img/"])
    assert await verify_release(rezipped, keys[1]) == CONTENT_HASH

    device = tmp_path / "device"
    with zipfile.ZipFile(rezipped) as archive:
        archive.extractall(device)
    signature = device / "CodePush" / ".codepushrelease"
    signature.write_bytes(signature.read_bytes() + b"\n")  # saved again by an editor
    assert await verify_release(device, keys[1]) == CONTENT_HASH
    (device / "CodePush" / "assets" / "Thumbs.db").write_bytes(b"windows")  # not ignored
    with pytest.raises(ReleaseSignatureError, match="do not match their signature"):
        await verify_release(device, keys[1])


async def test_a_zip_with_windows_separators_is_refused_though_the_server_hashes_it(
    server: Server, bundle: Path, keys: tuple[bytes, bytes], tmp_path: Path
) -> None:
    """Android installs ``CodePush\\main.jsbundle`` as one file at the top (no bundle
    where it looks, a folder hash unlike the server's): no device installs what was signed."""
    blob = await _signed_zip(server, bundle, keys[0])
    windows = _rezip(blob, tmp_path / "windows.zip", rename=lambda n: n.replace("/", "\\"))
    with zipfile.ZipFile(windows) as archive:
        assert "CodePush\\.codepushrelease" in archive.namelist()
    assert package_hash(windows) == CONTENT_HASH
    with pytest.raises(ReleaseSignatureError, match="holds a backslash"):
        await verify_release(windows, keys[1])


async def test_a_signature_from_a_clock_ahead_still_verifies(
    bundle: Path, keys: tuple[bytes, bytes]
) -> None:
    """Devices do not check ``iat``: a build machine's clock running ahead is no error."""
    future = 4_000_000_000.0  # 2096
    async with prepare_release(bundle, private_key=keys[0], clock=ManualClock(future)) as prepared:
        assert isinstance(prepared.contents, Path)
        assert await verify_release(prepared.contents, keys[1]) == CONTENT_HASH
        with zipfile.ZipFile(prepared.contents) as archive:
            token = archive.read("CodePush/.codepushrelease")
    claims = jwt.decode(token, keys[1], algorithms=["RS256"], options={"verify_iat": False})
    assert claims["iat"] == int(future)


@pytest.mark.parametrize(
    "signature",
    [b"\xff\xfe" + "eyJh.eyJj.c2ln".encode("utf-16-le"),  # saved as UTF-16 by Notepad
     "eyJhbGciOiJSUzI1NiJ9.é.sig".encode()],
    ids=["utf-16", "non-ascii-payload"],
)
async def test_a_signature_with_non_ascii_bytes_is_not_valid(
    tmp_path: Path, keys: tuple[bytes, bytes], signature: bytes
) -> None:
    package = tmp_path / "package.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("CodePush/main.jsbundle", "x")
        archive.writestr("CodePush/.codepushrelease", signature)
    with pytest.raises(ReleaseSignatureError,
                       match=rf"^the signature of {re.escape(str(package))} is not valid: "):
        await verify_release(package, keys[1])


@pytest.mark.parametrize("zip_or_dir", ["", 42, None, b"release.zip"])
async def test_verify_release_wants_a_path(keys: tuple[bytes, bytes], zip_or_dir: object) -> None:
    """An empty path is refused, not read as the current directory."""
    message = f"zip_or_dir must be a path to a zip or a folder, got {zip_or_dir!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        await verify_release(zip_or_dir, keys[1])  # type: ignore[arg-type]


async def test_a_bad_public_key_is_named(
    tmp_path: Path, keys: tuple[bytes, bytes]
) -> None:
    package = tmp_path / "package.zip"
    package.write_bytes(b"never read")
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cases = [
        (keys[0], "public_key is not a PEM public key"),  # the private key by mistake
        (ec_public, "public_key must be an RSA public key: devices verify RS256 signatures"),
        (str(tmp_path / "public.pem"),
         "public_key: the text given is neither PEM text nor the path of a PEM file "
         "(not shown: it may be key material)"),
        (tmp_path / "public.pem", f"public_key: {tmp_path / 'public.pem'} is not a PEM file"),
        (None, "public_key must be PEM bytes or text, or a path, got NoneType"),
    ]
    for key, message in cases:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            await verify_release(package, key)  # type: ignore[arg-type]


@pytest.mark.parametrize("encryption", [serialization.PrivateFormat.PKCS8,
                                        serialization.PrivateFormat.TraditionalOpenSSL])
async def test_an_encrypted_private_key_is_refused_with_the_reason(
    server: Server, bundle: Path, keys: tuple[bytes, bytes],
    encryption: serialization.PrivateFormat,
) -> None:
    """As the CLI's ``--privateKeyPath``, no passphrase: say so rather than "not a key"."""
    key = serialization.load_pem_private_key(keys[0], password=None)
    encrypted = key.private_bytes(serialization.Encoding.PEM, encryption,
                                  serialization.BestAvailableEncryption(b"passphrase"))
    message = "private_key is not a PEM private key (an encrypted key is not supported)"
    before = len(server.emulator.requests)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=encrypted)
    assert len(server.emulator.requests) == before


async def test_pem_text_with_a_note_around_it_signs_and_non_ascii_inside_is_refused(
    server: Server, bundle: Path, keys: tuple[bytes, bytes]
) -> None:
    """PEM text from a password manager may carry a note; the key text itself is ASCII."""
    noted = "Clé de signature (équipe mobile)\n" + keys[0].decode()
    package = await server.cp.releases.release(APP, DEP, bundle, "1.0.0", private_key=noted)
    assert package.package_hash == CONTENT_HASH
    lines = keys[0].decode().splitlines()
    lines[3] = "é" + lines[3][1:]
    with pytest.raises(ValueError, match=r"^private_key is not a PEM private key$") as caught:
        await server.cp.releases.release(APP, "Production", bundle, "1.0.0",
                                         private_key="\n".join(lines))
    assert lines[3][1:40] not in repr(caught.value) + repr(caught.value.__cause__)


def test_the_signers_repr_shows_no_key_material(keys: tuple[bytes, bytes]) -> None:
    """A traceback that renders locals (or a debugger) shows the signer, never its key."""
    signer = ReleaseSigner(keys[0], lambda: NOW)
    assert repr(signer) == str(signer) == "ReleaseSigner(<private key>)"
