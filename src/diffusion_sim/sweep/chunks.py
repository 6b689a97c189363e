"""The chunk store of a sweep: chunk files, their records, and their verification.

Per chunk ``k`` (the fixed runs ``[k·chunk_size, (k+1)·chunk_size)``) a sweep folder
holds ``chunks/runs-NNNNNN.csv`` (+ ``series-`` and ``timing-``) and, written last,
``chunks/chunk-NNNNNN.json``: the row count and SHA-256 of each file and the sweep's
identity digest. Every file is written atomically (``fsync``, then rename). A chunk is
*done* only when its record exists, belongs to this sweep and every file matches its
row count and checksum; otherwise :func:`check_chunk` says why (not finished,
interrupted, damaged, foreign).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from diffusion_sim.errors import SweepError
from diffusion_sim.store import read_csv, sha256_file, write_csv, write_json
from diffusion_sim.sweep.spec import describe_change

KINDS = ("series", "timing", "runs")  # written in this order; the record last


def chunk_path(out: Path, kind: str, chunk: int) -> Path:
    """``OUT/chunks/<kind>-NNNNNN.csv`` (kind ``record`` -> ``chunk-NNNNNN.json``)."""
    if kind == "record":
        return out / "chunks" / f"chunk-{chunk:06d}.json"
    return out / "chunks" / f"{kind}-{chunk:06d}.csv"


def store_chunk(out: Path, chunk: int, digest: str, rows: list[dict[str, Any]],
                series: list[dict[str, Any]], timing: list[dict[str, Any]]) -> None:
    """Write one finished chunk's files, then its record (which marks it done)."""
    files = {}
    for kind, data in zip(KINDS, (series, timing, rows)):
        if kind == "series" and not data:
            continue
        n, sha = write_csv(chunk_path(out, kind, chunk), data)
        files[kind] = {"rows": n, "sha256": sha}
    write_json(chunk_path(out, "record", chunk),
               {"chunk": chunk, "identity": digest, "files": files})


def check_chunk(out: Path, chunk: int, digest: str, n_runs: int) -> str | None:
    """Why chunk ``chunk`` is not a finished chunk of this sweep (None when it is).

    Checks that its record exists and names this sweep's identity, that its runs file
    has ``n_runs`` rows, and that every file has the row count and SHA-256 recorded.
    """
    rec_path = chunk_path(out, "record", chunk)
    if not rec_path.exists():
        return "not finished" if not chunk_path(out, "runs", chunk).exists() else \
            "has no record (interrupted while being written)"
    try:
        rec = json.loads(rec_path.read_text())
        files = rec["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "its record is damaged"
    if rec.get("identity") != digest:
        return "belongs to a different sweep"
    if files.get("runs", {}).get("rows") != n_runs:
        return f"its record says {files.get('runs', {}).get('rows')} runs, not {n_runs}"
    for kind, info in files.items():
        path = chunk_path(out, kind, chunk)
        try:
            sha = sha256_file(path)
        except OSError:
            return f"{path.name} is missing"
        if sha != info.get("sha256"):
            return f"{path.name} is damaged (its checksum does not match)"
    return None


def chunk_states(out: Path, spec_head: Mapping[str, Any], chunks: Iterable[int]
                 ) -> dict[int, str | None]:
    """:func:`check_chunk` of each chunk, from a manifest's head."""
    digest = spec_head["identity_digest"]
    size, total = spec_head["chunk_size"], spec_head["n_runs"]
    return {k: check_chunk(out, k, digest, min(size, total - k * size)) for k in chunks}


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The sweep manifest in ``out`` (None if there is none); refused (one line) when
    unreadable or another command's (a run's results are not a sweep to resume or
    merge)."""
    path = out / "manifest.json"
    if not path.exists():
        return None
    try:
        head = json.loads(path.read_text())
    except (OSError, ValueError):
        raise SweepError(f"{path}: unreadable manifest; move the folder aside") from None
    command = head.get("command", "sweep") if isinstance(head, dict) else None
    if command != "sweep":
        raise SweepError(f"{out}: holds the results of '{command}', not a sweep; choose "
                         "another folder")
    return head


def check_identity(out: Path, head: Mapping[str, Any], identity: dict[str, str]) -> None:
    """Refuse, naming what changed, when ``out`` holds a sweep of another identity."""
    old = head.get("identity")
    if not isinstance(old, dict):
        raise SweepError(f"{out}: holds a sweep without an identity (made by an older "
                         "diffusion-sim); use a new --out folder")
    change = describe_change(old, identity)
    if change:
        raise SweepError(f"{out}: this sweep's inputs changed since it started: {change}; "
                         "use a new --out folder or restore them")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a result CSV with numbers parsed (ints, then floats, else text)."""
    return [{k: _number(v) for k, v in r.items()} for r in read_csv(path)]


def _number(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text
