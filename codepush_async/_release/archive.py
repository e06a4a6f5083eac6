"""Zip a release directory on disk (run in a worker thread; never held in memory)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["ZipCancelled", "collect_files", "entry_prefix", "zip_directory"]

Signer = Callable[[dict[str, str]], tuple[str, bytes]]
"""Given the ``{entry: sha256 hex}`` manifest of a zip, the signature entry to add to it."""
_CHUNK = 1024 * 1024

logger = logging.getLogger("codepush_async")


class ZipCancelled(Exception):
    """The caller went away while the archive was being written."""


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _js_dirname(spelling: str) -> str:
    """The parent of a path as Node's ``path.dirname`` spells it: purely textual."""
    separators = "/" + (os.altsep or "") + os.sep
    stripped = spelling.rstrip(separators) or spelling[:1]
    return os.path.dirname(stripped) or "."


def entry_prefix(spelling: str | os.PathLike[str]) -> str:
    """The folder a directory's files get in the zip: as the JS SDK and CLI name them.

    They name entries relative to the given path's parent (``path.dirname``, textual), so
    ``"dir"``, ``"dir/"``, ``"../dir"`` and ``"/abs/dir"`` give ``dir/...`` and ``"."`` or
    ``"./"`` give bare names (``index.html``). A path ending in ``..`` is refused: the JS
    tools would name its entries ``../...``, which no server or device accepts.
    """
    text = os.fspath(spelling)
    folder = os.path.relpath(os.path.abspath(text), os.path.abspath(_js_dirname(text)))
    if folder == os.curdir:
        return ""
    if folder == os.pardir or folder.startswith(os.pardir + os.sep):
        raise ValueError(
            f"contents: {text!r} ends in '..'; name the directory itself (its path, or '.' "
            "from inside it) so the zip's entries get a folder the server accepts"
        )
    return Path(folder).as_posix()


def _resolved(link: Path, directory: Path) -> Path:
    """Where the symlink ``link`` leads; a ``ValueError`` naming it for a loop."""
    try:
        return link.resolve(strict=True)
    except (RuntimeError, OSError) as error:  # RuntimeError: a loop, before Python 3.13
        raise ValueError(f"contents: symlink {link} in {directory} cannot be followed "
                         f"(a loop, or a missing target): {error}") from None


def _utf8(name: str, path: Path) -> str:
    """``name`` (of ``path``, in the zip or the upload); a ``ValueError`` if not UTF-8."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"contents: the name of {os.fsencode(path)!r} is not valid UTF-8: "
                         "zip entry and upload names are UTF-8; rename it") from None
    return name


def _skip_directory_links(here: Path, dirnames: list[str], directory: Path, root: Path) -> None:
    """Drop directory symlinks from the walk: refused if they lead outside ``root``."""
    for name in sorted(dirnames):
        link = here / name
        if link.is_symlink():
            target = _resolved(link, directory)
            if not _inside(target, root):
                raise ValueError(f"contents: symlink {link} points outside {directory}")
            logger.warning("skipping directory symlink %s -> %s (inside the package)",
                           link, target)
    dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink())


def _is_shipped(path: Path, directory: Path, root: Path) -> bool:
    """A regular file, or a symlink to one inside ``root`` (else ``ValueError``)."""
    if path.is_symlink():
        target = _resolved(path, directory)
        if not _inside(target, root):
            raise ValueError(f"contents: symlink {path} points outside {directory}")
        if not target.is_file():
            raise ValueError(f"contents: symlink {path} does not point to a file")
        return True
    return path.is_file()  # sockets, fifos: nothing to ship


def collect_files(directory: Path, prefix: str | None = None) -> list[tuple[Path, str]]:
    """Every file to archive as ``(path on disk, name in the zip)``, sorted by name.

    Names start with ``prefix`` (by default ``entry_prefix`` of ``directory``, as the
    JS SDK names them: ``bundle/main.jsbundle``; ``""``: no folder). A symlink pointing
    outside the directory, a symlink loop and a name that is not UTF-8 are refused with
    a ``ValueError`` naming the path; a symlink to a directory inside it is skipped (its
    files are archived under their real path already).
    """
    root = directory.resolve()
    _utf8(root.name, root)  # the upload is named after it
    if prefix is None:
        prefix = entry_prefix(directory)
    lead = f"{prefix}/" if prefix else ""
    found: list[tuple[Path, str]] = []
    for current, dirnames, filenames in os.walk(directory, followlinks=False):
        here = Path(current)
        _skip_directory_links(here, dirnames, directory, root)
        for name in filenames:
            path = here / name
            if _is_shipped(path, directory, root):
                found.append((path, _utf8(f"{lead}{path.relative_to(directory).as_posix()}",
                                          path)))
    if not found:
        raise ValueError(f"contents: directory {directory} contains no files")
    found.sort(key=lambda item: item[1])
    return found


def _write_hashed(archive: zipfile.ZipFile, path: Path, arcname: str) -> str:
    """Add one file to the zip, returning the SHA-256 of what was written."""
    info = zipfile.ZipInfo.from_file(path, arcname)
    info.compress_type = zipfile.ZIP_DEFLATED
    digest = hashlib.sha256()
    with path.open("rb") as source, archive.open(info, "w") as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def zip_directory(
    files: list[tuple[Path, str]],
    destination: BinaryIO,
    cancelled: threading.Event,
    signer: Signer | None = None,
) -> None:
    """Write ``files`` as a deflated zip into the open ``destination``, then close it.

    The caller creates the file, so a cancelled caller can remove it without racing
    this thread; ``cancelled`` stops the work at the next file. With a ``signer``, each
    file is hashed as it is written and the signature entry is added last.
    """
    manifest: dict[str, str] = {}
    with destination, zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in files:
            if cancelled.is_set():
                raise ZipCancelled
            if signer is None:
                archive.write(path, arcname)
            else:
                manifest[arcname] = _write_hashed(archive, path, arcname)
        if signer is not None:
            name, data = signer(manifest)
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)

