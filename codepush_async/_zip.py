"""Zip a release directory on disk (run in a worker thread; never held in memory)."""

from __future__ import annotations

import logging
import os
import threading
import zipfile
from pathlib import Path
from typing import BinaryIO

__all__ = ["ZipCancelled", "collect_files", "zip_directory"]

logger = logging.getLogger("codepush_async")


class ZipCancelled(Exception):
    """The caller went away while the archive was being written."""


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def collect_files(directory: Path) -> list[tuple[Path, str]]:
    """Every file to archive as ``(path on disk, name in the zip)``, sorted by name.

    Names start with the directory's own name (``bundle/main.jsbundle``), as the official
    SDK does. A symlink pointing outside the directory is refused; one to a directory
    inside it is skipped (its files are archived under their real path already).
    """
    root = directory.resolve()
    prefix = directory.resolve().name
    found: list[tuple[Path, str]] = []
    for current, dirnames, filenames in os.walk(directory, followlinks=False):
        here = Path(current)
        for name in sorted(dirnames):
            link = here / name
            if link.is_symlink():
                target = link.resolve()
                if not _inside(target, root):
                    raise ValueError(f"contents: symlink {link} points outside {directory}")
                logger.warning("skipping directory symlink %s -> %s (inside the package)",
                               link, target)
        dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink())
        for name in filenames:
            path = here / name
            if path.is_symlink():
                target = path.resolve()
                if not _inside(target, root):
                    raise ValueError(f"contents: symlink {path} points outside {directory}")
                if not target.is_file():
                    raise ValueError(f"contents: symlink {path} does not point to a file")
            elif not path.is_file():
                continue  # sockets, fifos: nothing to ship
            relative = path.relative_to(directory).as_posix()
            found.append((path, f"{prefix}/{relative}"))
    if not found:
        raise ValueError(f"contents: directory {directory} contains no files")
    found.sort(key=lambda item: item[1])
    return found


def zip_directory(
    files: list[tuple[Path, str]], destination: BinaryIO, cancelled: threading.Event
) -> None:
    """Write ``files`` as a deflated zip into the open ``destination``, then close it.

    The caller creates the file, so a cancelled caller can remove it without racing
    this thread; ``cancelled`` stops the work at the next file.
    """
    with destination, zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in files:
            if cancelled.is_set():
                raise ZipCancelled
            archive.write(path, arcname)
