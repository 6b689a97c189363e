"""Every file the package writes goes through here.

- **Atomic**: written to a unique temporary name beside the target, flushed and
  ``fsync``-ed, then renamed over it, so a reader (or a crash) sees the old file or the
  new one, never half of one.
- **Readable by collaborators**: files get the permissions the user's umask allows
  (``0666 & ~umask``), not the 0600 of ``mkstemp``.
- **Checksummed**: writers return the SHA-256 of what they wrote (and the row count
  for CSV), which sweeps record per chunk and verify before trusting a file.
- **Provenance**: :func:`manifest` (package version, git commit, time, anything else).
- **One line on failure**: an ``OSError`` becomes an :class:`OutputError` naming the
  path ("read-only file system", "no space left on device", ...).
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import secrets
import socket
import subprocess
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diffusion_sim.errors import OutputError
from diffusion_sim.version import __version__


def umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    old = os.umask(0o022)  # elsewhere: read by setting (and restoring) it
    os.umask(old)
    return old


def _fail(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write: {exc.strerror or exc}")


def make_folder(path: str | Path) -> Path:
    """Create ``path`` (and parents); refuse with one line if that is impossible."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{path}: exists and is not a folder") from None
    except NotADirectoryError:
        raise OutputError(f"{path}: a parent of it is a file, not a folder") from None
    except OSError as exc:
        raise _fail(path, exc) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write: permission denied")
    return path


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: str | Path, data: bytes) -> str:
    """Write ``data`` to ``path`` atomically (see the module docstring); returns its
    SHA-256 (hex)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~umask())
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _fail(path, exc) from None
    _fsync_folder(path.parent)
    return hashlib.sha256(data).hexdigest()


def write_text(path: str | Path, text: str) -> str:
    """Write UTF-8 text atomically; returns its SHA-256."""
    return write_bytes(path, text.encode("utf-8"))


def csv_text(rows: Sequence[dict[str, Any]], fields: Sequence[str] | None = None) -> str:
    """Dict rows as CSV text (header = ``fields``, or every key in order of appearance).

    Floats are written with ``repr`` (Python's shortest round-trip form), so a value
    read back is the value written.
    """
    if fields is None:
        fields = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_csv(path: str | Path, rows: Sequence[dict[str, Any]],
              fields: Sequence[str] | None = None) -> tuple[int, str]:
    """Write dict rows to CSV atomically; returns (row count, SHA-256)."""
    return len(rows), write_text(path, csv_text(rows, fields))


def write_json(path: str | Path, data: Any) -> str:
    """Write JSON atomically (indented, non-JSON values as text); returns its SHA-256."""
    return write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def sha256_file(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_json(data: Any) -> str:
    """SHA-256 of a JSON-able value in a canonical form (sorted keys)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts of text."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def git_commit() -> str | None:
    """The source tree's git commit, when the package runs from a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def manifest(**extra: Any) -> dict[str, Any]:
    """Provenance common to every output folder."""
    return {"package": "diffusion-sim", "version": __version__, "commit": git_commit(),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"), **extra}


def remove_files(paths: Iterable[Path]) -> None:
    """Delete files that exist (a stale output from an earlier run)."""
    for p in paths:
        try:
            Path(p).unlink(missing_ok=True)
        except OSError as exc:
            raise _fail(Path(p), exc) from None


class FolderLock:
    """An advisory lock on an output folder (``fcntl.flock`` on ``folder/.lock``).

    ``shared=True`` for work that may run side by side (the shards of one sweep);
    ``shared=False`` for work that must run alone (a whole sweep, ``--resume``,
    ``merge``). The lock file records the holder's pid and host, which the refusal
    names; a lock dies with its process, so a killed run leaves no stale lock.
    """

    def __init__(self, folder: str | Path, what: str, shared: bool = False) -> None:
        self.path = Path(folder) / ".lock"
        self.what, self.shared = what, shared
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~umask())
        except OSError as exc:
            raise _fail(self.path, exc) from None
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise OutputError(f"{self.path.parent}: in use by {holder}; wait for it to finish "
                              f"before {self.what}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} "
                      f"({self.what})".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None
