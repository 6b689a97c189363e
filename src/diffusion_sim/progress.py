"""Progress of long commands: a bar on a terminal, sparse lines in batch logs.

On a terminal, a ``tqdm`` bar with the rate and the time left. Elsewhere (a Slurm log,
a CI log, a pipe), one plain line at the start, then at most one line per
``every_s`` seconds or per 5 % of the work (whichever comes later), and one at the
end, each with the same figures: done/total, percent, rate and time left. (A
comparison of 1,200 runs used to write 1,200 lines.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class LogLines:
    """Throttled progress lines for logs (see the module docstring)."""

    def __init__(self, label: str, unit: str, stream: TextIO, every_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.unit, self.stream = label, unit, stream
        self.every_s, self.clock = every_s, clock
        self.start: float | None = None
        self.start_done = 0
        self.last_time = -float("inf")
        self.last_done = -1

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.start is None:
            self.start, self.start_done = now, done
        step = max(1, total // 20)  # 5 %
        final = done >= total
        if not final and self.last_done >= 0 and (
                now - self.last_time < self.every_s or done - self.last_done < step):
            return
        self.last_time, self.last_done = now, done
        elapsed = now - self.start
        rate = (done - self.start_done) / elapsed if elapsed > 0 else 0.0
        pct = 100.0 * done / total if total else 100.0
        left = f", {_duration((total - done) / rate)} left" if rate > 0 and not final else ""
        speed = f", {rate:.1f} {self.unit}/s" if rate > 0 else ""
        self.stream.write(f"{self.label}: {done}/{total} {self.unit} ({pct:.0f} %{speed}"
                          f"{left}){' done' if final else ''}\n")
        self.stream.flush()


class Bar:
    """A ``tqdm`` bar driven by (done, total) calls."""

    def __init__(self, label: str, unit: str, stream: TextIO) -> None:
        self.label, self.unit, self.stream = label, unit, stream
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, initial=done, desc=self.label, unit=f" {self.unit}",
                            file=self.stream, dynamic_ncols=True, leave=True)
        self.bar.total = total
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()


def reporter(label: str, unit: str = "runs", stream: TextIO | None = None
             ) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callable: a bar on a terminal, lines elsewhere."""
    stream = stream or sys.stderr
    if stream.isatty():
        return Bar(label, unit, stream)
    return LogLines(label, unit, stream)
