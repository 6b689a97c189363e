"""Every file the package writes goes through here.

- **Atomic**: written to a unique temporary name beside the target, flushed and
  ``fsync``-ed, then renamed over it, so a reader (or a crash) sees the old file or the
  new one, never half of one.
- **Readable by collaborators**: files get the permissions the user's umask allows
  (``0666 & ~umask``), not the 0600 of ``mkstemp``.
- **Checksummed**: writers return the SHA-256 of what they wrote (and the row count
  for CSV), which sweeps record per chunk and verify before trusting a file.
- **Provenance**: :func:`manifest` (package version, git commit, time, anything else).
- **Whole output folders**: :func:`output_folder` writes a run's files into a staging
  folder and swaps it in when complete, so a folder never mixes two runs' files and a
  kill leaves the previous results whole.
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
import shutil
import socket
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def _atomic_file(path: Path) -> Iterator[Any]:
    """A binary file handle on a unique temporary name beside ``path``; when the block
    ends it is flushed, ``fsync``-ed and renamed over ``path`` (on an error, removed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~umask())
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
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


def write_bytes(path: str | Path, data: bytes) -> str:
    """Write ``data`` to ``path`` atomically (see the module docstring); returns its
    SHA-256 (hex)."""
    with _atomic_file(Path(path)) as fh:
        fh.write(data)
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


def write_csv_rows(path: str | Path, rows: Iterable[dict[str, Any]],
                   fields: Sequence[str]) -> tuple[int, str]:
    """Write dict rows to CSV atomically as they come (never the whole table in
    memory); the same bytes as :func:`write_csv` with these ``fields``. Returns (row
    count, SHA-256)."""
    digest, count = hashlib.sha256(), 0
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\r\n")
    w.writeheader()
    with _atomic_file(Path(path)) as fh:
        for row in rows:
            w.writerow(row)
            count += 1
            if buf.tell() > 1 << 20:
                _drain(buf, fh, digest)
        _drain(buf, fh, digest)
    return count, digest.hexdigest()


def _drain(buf: io.StringIO, fh: Any, digest: Any) -> None:
    data = buf.getvalue().encode("utf-8")
    fh.write(data)
    digest.update(data)
    buf.seek(0)
    buf.truncate()


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


def written_by(folder: Path) -> str | None:
    """The command whose results ``folder`` holds (its diffusion-sim ``manifest.json``
    says), ``""`` for one of ours that does not say, None if none of ours."""
    try:
        head = json.loads((folder / "manifest.json").read_text())
        if head.get("package") != "diffusion-sim":
            return None
        return str(head.get("command") or "")
    except (OSError, ValueError, AttributeError):
        return None


def written_by_us(folder: Path) -> bool:
    """Whether ``folder`` holds a diffusion-sim ``manifest.json``."""
    return written_by(folder) is not None


def check_output_folder(path: str | Path, command: str | None = None) -> Path:
    """Check, before any work, that ``path`` can become a results folder; returns its
    parent (created if needed). See :func:`output_folder` for what is refused."""
    final = Path(path)
    if final.exists():
        if not final.is_dir():
            raise OutputError(f"{final}: exists and is not a folder")
        if any(final.iterdir()):
            other = written_by(final)
            if other is None:
                raise OutputError(f"{final}: is a folder diffusion-sim did not write (no "
                                  "manifest.json of ours); choose an empty or new --out "
                                  "folder")
            if command and other and other != command:
                raise OutputError(f"{final}: holds the results of '{other}', which "
                                  f"'{command}' would delete; choose another --out folder")
    return make_folder(final.parent)


@contextmanager
def output_folder(path: str | Path, command: str | None = None) -> Iterator[Path]:
    """A fresh staging folder beside ``path`` that replaces ``path`` when the block ends.

    Files are written into ``.NAME.writing-PID-XXXX``; on success an existing ``path``
    is moved aside and deleted and the staging folder renamed to ``path``, so the folder
    never holds files of two runs, and a run that fails or is killed leaves the previous
    results as they were (and its staging folder, hidden, to delete). Refuses a ``path``
    that is a file, a non-empty folder that diffusion-sim did not write, or one holding
    the results of another ``command`` (a sweep's, when a run would replace it): they
    would be deleted.
    """
    final = Path(path)
    parent = check_output_folder(final, command)
    tag = f"{os.getpid()}-{secrets.token_hex(3)}"
    stage = parent / f".{final.name}.writing-{tag}"
    try:
        stage.mkdir(mode=0o777)
    except OSError as exc:
        raise _fail(stage, exc) from None
    try:
        yield stage
    except OutputError as exc:  # name the folder the user asked for, not the staging one
        shutil.rmtree(stage, ignore_errors=True)
        raise OutputError(str(exc).replace(str(stage), str(final))) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = parent / f".{final.name}.old-{tag}"
    try:
        if final.exists():
            os.rename(final, old)
        os.rename(stage, final)
    except OSError as exc:
        raise _fail(final, exc) from None
    shutil.rmtree(old, ignore_errors=True)
