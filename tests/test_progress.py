"""Progress in batch logs: one line per ~10 s or 5 %, with rate and time left."""

import io

from diffusion_sim.progress import LogLines, reporter


def test_log_lines_are_throttled_and_carry_rate_and_time_left():
    out = io.StringIO()
    now = [0.0]
    log = LogLines("sweep x", "runs", out, every_s=10, clock=lambda: now[0])
    for done in range(0, 1201):  # 1,200 runs, one every 0.1 s
        now[0] = done * 0.1
        log(done, 1200)
    lines = out.getvalue().splitlines()
    # 120 s of work: a line at the start, then one per max(10 s, 5 % = 60 runs = 6 s)
    assert 12 <= len(lines) <= 14, lines
    assert lines[0].startswith("sweep x: 0/1200 runs (0 %")
    assert lines[-1] == "sweep x: 1200/1200 runs (100 %, 10.0 runs/s) done"
    mid = next(ln for ln in lines if ln.startswith("sweep x: 600/"))
    assert "10.0 runs/s" in mid and "1:00 left" in mid


def test_a_log_line_needs_five_percent_of_the_work_too():
    out = io.StringIO()
    now = [0.0]
    log = LogLines("c", "runs", out, every_s=10, clock=lambda: now[0])
    log(0, 100)
    now[0] = 60.0
    log(1, 100)  # a minute later but only 1 % more: no line
    now[0] = 70.0
    log(5, 100)  # 5 % and 10 s: a line
    assert len(out.getvalue().splitlines()) == 2


def test_reporter_writes_lines_when_not_a_terminal():
    out = io.StringIO()
    r = reporter("run b", stream=out)
    r(0, 3)
    r(3, 3)
    assert out.getvalue().splitlines()[-1].endswith("done")
