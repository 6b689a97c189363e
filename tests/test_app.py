"""The interactive app: its levers and parameters (no browser), the ``app`` command's
refusals, and the page itself driven in a real headless Chromium, offline.

The browser test needs Debian's Chromium (/usr/bin/chromium), the ``viz`` extra (with
solara-assets) and the ``browser`` extra (playwright, pillow). Without them it skips,
saying why; with DIFFUSION_SIM_REQUIRE_BROWSER=1 (set by .ci/run) it fails instead.
Set DIFFUSION_SIM_APP_SCREENSHOT=path to keep the screenshot (docs/img/app.png).
"""

import contextlib
import importlib.util
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from diffusion_sim.app_server import assets_dir, check_viz, server_command
from diffusion_sim.cli import main
from diffusion_sim.errors import AppError
from diffusion_sim.levers import LEVERS, PolicyModel, lever_settings
from diffusion_sim.scenario import load
from mesa_seeds import batch_run_seeds

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "experiments" / "scenarios"
REQUIRED = os.environ.get("DIFFUSION_SIM_REQUIRE_BROWSER") == "1"
HAS_VIZ = importlib.util.find_spec("solara") is not None


# ------------------------------------------------------------------ levers
@pytest.mark.parametrize("lever", list(LEVERS))
def test_a_lever_at_strength_1_is_the_bundled_policy(lever):
    base = load(SCENARIOS / "baseline.toml")
    policy = load(SCENARIOS / f"{lever}.toml")
    settings = lever_settings(base, {lever: 1.0})
    assert settings  # the lever changes something
    for path, value in settings.items():
        assert value == pytest.approx(policy.get(path), abs=1e-12), path
    graded = base.with_overrides(lever_settings(base, {lever: 0.5}))
    for path, value in settings.items():
        assert graded.get(path) == pytest.approx((base.get(path) + value) / 2), path
    assert lever_settings(base, {lever: 0.0}) == {}


def test_policy_model_takes_levers_as_keywords_and_batch_run_grades_them():
    import mesa

    rows = mesa.batch_run(PolicyModel, **batch_run_seeds({
        "scenario": str(SCENARIOS / "baseline.toml"), "anti_stigma": [0.0, 1.0],
        "population.size": 200, "steps": 4}, [3]),
        max_steps=50, number_processes=1, display_progress=False)
    assert [r["anti_stigma"] for r in rows] == [0.0, 1.0]
    assert all(r["Step"] == 4 and "engaged_gap" in r for r in rows)
    m = PolicyModel(SCENARIOS / "baseline.toml", anti_stigma=1.0, seed=3, steps=4,
                    **{"population.size": 200})
    assert m.scenario.strategies["open"].identity_risk == pytest.approx(0.6)
    assert m.levers["anti_stigma"] == 1.0
    explicit = PolicyModel(anti_stigma=1.0, **{"strategies.open.identity_risk": 0.9})
    assert explicit.scenario.strategies["open"].identity_risk == 0.9  # explicit wins
    with pytest.raises(Exception, match=r"strength must be a number in \[0, 1\]"):
        PolicyModel(closed_groups=2.0)


# ------------------------------------------------------------------ the command
def test_app_command_refuses_a_bad_scenario_before_starting(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[transmission]\ntransmisibility = 0.5\n")
    assert main(["app", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("diffusion-sim: error:") and "did you mean" in err
    assert "\n" not in err


def test_app_command_refuses_a_port_in_use(capsys):
    if not HAS_VIZ:
        pytest.skip("the viz extra is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"cannot serve the app on 127.0.0.1:{port}" in err and "\n" not in err


@pytest.mark.parametrize("port, why", [("99999", "must be at most 65535, got 99999"),
                                       ("0", "must be at least 1, got 0"),
                                       ("http", "'http' is not an integer")])
def test_app_command_refuses_a_port_that_cannot_be(port, why, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["app", "--port", port])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"diffusion-sim: error: app: argument --port: {why}"


def test_app_command_refuses_a_host_it_cannot_listen_on(capsys):
    if not HAS_VIZ:
        pytest.skip("the viz extra is not installed")
    assert main(["app", "--host", "no-such-host.invalid"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("diffusion-sim: error: cannot serve the app on "
                          "no-such-host.invalid:8765") and "\n" not in err


def test_check_viz_names_the_missing_assets(tmp_path):
    if not HAS_VIZ:
        with pytest.raises(AppError, match="needs the viz extra"):
            check_viz()
        return
    with pytest.raises(AppError, match=r"assets are missing.*blank offline"):
        check_viz(prefix=tmp_path)


def test_app_model_params_are_accepted_by_solaraviz():
    if not HAS_VIZ:
        pytest.skip("the viz extra is not installed")
    from mesa.visualization.solara_viz import _check_model_params

    from diffusion_sim.app import model_params

    base = load(SCENARIOS / "baseline.toml")
    params = model_params(base)
    _check_model_params(PolicyModel.__init__, params)  # raises on a bad name
    start = {k: (v.value if hasattr(v, "value") else v.get("value") if isinstance(v, dict)
                 else v) for k, v in params.items()}
    m = PolicyModel(**start)  # the sliders' starting values rebuild the scenario
    assert m.scenario == base
    assert np.array_equal(m.run().counts, PolicyModel(base, seed=start["seed"]).run().counts)


def test_the_status_line_says_when_the_run_has_ended():
    if not HAS_VIZ:
        pytest.skip("the viz extra is not installed")
    from diffusion_sim.app import status_line

    m = PolicyModel(SCENARIOS / "baseline.toml", seed=1, steps=2,
                    **{"population.size": 200})
    lines = [status_line(m)]
    for _ in range(3):  # two weeks, then the closing call
        m.step()
        lines.append(status_line(m))
    assert lines == [f"Scenario: baseline, 200 people, week {t} of 2" for t in (0, 1, 2)
                     ] + ["Scenario: baseline, 200 people, week 2 of 2 (ended)"]
    assert m.steps == 3  # Mesa's counter: one more than the last week


# ------------------------------------------------------------------ the browser
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}
STEP_RE = re.compile(r"^Step: \d+$")
#: Weeks to Play before the screenshot (more for the README's picture).
PLAY_WEEKS = 24 if os.environ.get("DIFFUSION_SIM_APP_SCREENSHOT") else 6


def need_browser() -> tuple[str, object]:
    """Chromium, the viz extra with its assets and playwright, or skip (fail in CI)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    problems = []
    if chromium is None:
        problems.append("chromium not installed (apt-get install chromium)")
    try:
        check_viz()
    except AppError as exc:
        problems.append(str(exc))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problems.append("playwright missing: pip install 'diffusion-sim[browser]'")
        sync_playwright = None
    if problems:
        msg = "; ".join(problems)
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_BROWSER=1 but {msg}")
        pytest.skip(msg)
    return chromium, sync_playwright


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """The app served as `diffusion-sim app` serves it, on a free loopback port."""
    need_browser()
    scenario = ROOT / "experiments" / "app" / "small.toml"  # the README's demo
    port = free_port()
    argv, env = server_command(scenario, "127.0.0.1", port)
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        t0 = time.monotonic()
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert time.monotonic() - t0 < 120, "the app's server did not come up"
                time.sleep(0.3)
        yield url, tmp_path / "server.log"
    finally:
        proc.terminate()  # our own child only
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def set_slider(page, label: str, key: str, presses: int, expect_value: str) -> None:
    from playwright.sync_api import expect

    slider = page.locator(".v-input__slider", has_text=label)
    expect(slider).to_have_count(1)
    thumb = slider.get_by_role("slider")
    thumb.focus()
    for _ in range(presses):
        page.keyboard.press(key)
    expect(thumb).to_have_attribute("aria-valuenow", expect_value, timeout=10_000)


def reset_until(page, text: str) -> int:
    """Reset until the new model shows ``text``: ipywidgets may deliver a slider's last
    value after the click, so a Reset can build the model with the previous value."""
    from playwright.sync_api import expect

    deadline = time.monotonic() + 30
    clicks = 0
    while True:
        page.get_by_role("button", name="Reset", exact=True).click()
        clicks += 1
        expect(page.get_by_text(STEP_RE)).to_have_text("Step: 0", timeout=30_000)
        try:
            expect(page.get_by_text(text, exact=True)).to_have_count(1, timeout=2_000)
            return clicks
        except AssertionError:
            assert time.monotonic() < deadline, f"{text!r} never reached the model"


def step_to(page, week: int) -> None:
    """Press Step until the counter shows ``week`` (one week per press). Right after a
    Reset the page is re-rendered around the button, and a click can land on the old
    one; a press that did nothing is pressed again, one that counted is not."""
    from playwright.sync_api import expect

    counter = page.get_by_text(STEP_RE)
    for _ in range(5):
        before = int(counter.inner_text().split(":")[1])
        if before >= week:
            break
        page.get_by_role("button", name="Step", exact=True).click()
        try:
            expect(counter).to_have_text(f"Step: {before + 1}", timeout=10_000)
        except AssertionError:
            continue
    expect(counter).to_have_text(f"Step: {week}", timeout=10_000)


def pause_play(page) -> None:
    """Press Pause until Play shows again (a press can land on a button that is being
    re-rendered between two weeks). A run that ended while playing shows a disabled
    Pause: nothing to press."""
    from playwright.sync_api import expect

    play = page.get_by_role("button", name="▶", exact=True)
    pause = page.get_by_role("button", name="❚❚", exact=True)
    for _ in range(10):
        if play.count() or (pause.count() and not pause.is_enabled()):
            return
        with contextlib.suppress(Exception):  # detached between lookup and click
            pause.click(timeout=5_000)
        with contextlib.suppress(AssertionError):
            expect(play).to_be_visible(timeout=5_000)
    expect(play).to_be_visible(timeout=5_000)


def picture_stats(png: bytes) -> tuple[float, int]:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    arr = np.asarray(img)
    return float(np.asarray(img.convert("L"), float).std()), len(
        np.unique(arr.reshape(-1, 3), axis=0))


@pytest.mark.browser
def test_app_in_a_real_browser_steps_resets_and_follows_a_slider(server, tmp_path):
    chromium, sync_playwright = need_browser()
    from playwright.sync_api import expect

    url, log = server
    external, failed = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        ctx = browser.new_context(viewport={"width": 1500, "height": 1300})

        def route(r):  # the page must need nothing but this machine
            if r.request.url.startswith(("data:", "blob:")) or (
                    urlparse(r.request.url).hostname or "") in LOCAL:
                r.continue_()
            else:
                external.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()
        page.on("requestfailed", lambda r: failed.append(r.url))
        try:
            t0 = time.monotonic()
            page.goto(url, wait_until="domcontentloaded")
            counter = page.get_by_text(STEP_RE)
            expect(counter).to_have_text("Step: 0", timeout=90_000)
            step = page.get_by_role("button", name="Step", exact=True)
            expect(step).to_be_enabled(timeout=30_000)
            imgs = page.locator(".vue-grid-item img")
            expect(imgs).to_have_count(5, timeout=60_000)  # the network and four plots
            expect(page.get_by_text("Scenario: small, 300 people, week 0 of 30")).to_have_count(1)
            reach_before = imgs.nth(1).get_attribute("src")
            print(f"page ready: {time.monotonic() - t0:.1f} s")
            for i in range(1, 4):
                step_to(page, i)
            expect(page.get_by_text("Scenario: small, 300 people, week 3 of 30")).to_have_count(1)
            expect(imgs.nth(1)).not_to_have_attribute("src", reach_before, timeout=15_000)
            print(f"3 steps: {time.monotonic() - t0:.1f} s")
            # Play runs weeks on its own until paused
            page.get_by_role("button", name="▶", exact=True).click()
            page.wait_for_function(
                "() => { const m = document.body.innerText.match(/Step: (\\d+)/);"
                f" return m && Number(m[1]) >= {PLAY_WEEKS}; }}", timeout=240_000)
            pause_play(page)
            page.wait_for_timeout(1000)  # the last figures swap in
            calls = int(counter.inner_text().split(":")[1])
            # on a slow machine Play can reach the end before Pause lands: Mesa's counter
            # then reads 31 (the closing call) while the model shows its last week, 30
            shown = (f"week {calls} of 30" if calls < 31 else "week 30 of 30 (ended)")
            expect(page.get_by_text(f"Scenario: small, 300 people, {shown}", exact=True
                                    )).to_have_count(1)
            body = page.locator("body").inner_text()
            assert "Traceback" not in body and "error in step" not in body
            expect(page.locator(".v-alert.error")).to_have_count(0)
            png = page.screenshot(full_page=True)
            shot = os.environ.get("DIFFUSION_SIM_APP_SCREENSHOT")
            if shot:
                Path(shot).write_bytes(png)
            std, colours = picture_stats(png)
            assert std > 10 and colours > 50, f"screenshot looks blank ({std:.1f}, {colours})"

            print(f"loaded, stepped and played: {time.monotonic() - t0:.1f} s")
            # a behavioural slider, then Reset: the new model has the new value
            set_slider(page, "Transmissibility", "ArrowRight", 1, "0.85")
            reset_until(page, "transmission.transmissibility = 0.85")
            expect(page.get_by_text("Scenario: small, 300 people, week 0 of 30")).to_have_count(1)
            # a policy lever
            set_slider(page, "Anti-stigma", "ArrowRight", 5, "0.5")
            reset_until(page, "anti_stigma = 0.5")
            step_to(page, 1)
            expect(page.locator(".v-alert.error")).to_have_count(0)

            print(f"sliders and resets: {time.monotonic() - t0:.1f} s")
            # a large population: the plots without the network drawing
            set_slider(page, "People", "End", 1, "5000")
            reset_until(page, "Scenario: small, 5,000 people, week 0 of 30")
            expect(page.get_by_text("Network not drawn", exact=False)).to_have_count(1)
            expect(imgs).to_have_count(4, timeout=30_000)
            step_to(page, 1)
            print(f"large population: {time.monotonic() - t0:.1f} s")
        finally:
            page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
            ctx.close()
            browser.close()
    assert external == [] and failed == []
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-3000:]


def test_solara_assets_are_where_the_server_looks():
    if not HAS_VIZ:
        pytest.skip("the viz extra is not installed")
    assert any(assets_dir().glob("@widgetti/solara-vuetify-app@*")) or not REQUIRED
    assert sys.prefix in str(assets_dir())
