"""Serving the interactive app (:mod:`diffusion_sim.app`) offline, on one machine.

:func:`server_command` is the one way the app is started (the ``app`` command and its
browser test): ``python -m solara run diffusion_sim.app`` with the settings that keep
a Solara server and its page off the network. Solara otherwise loads the page's
JavaScript, CSS and fonts from a CDN (a blank page offline), asks PyPI for a newer
version and sends telemetry; with the ``viz`` extra's ``solara-assets`` installed and
``SOLARA_ASSETS_PROXY=true`` it serves them from ``<prefix>/share/solara/cdn``.
:func:`check_viz` refuses, in one line, to start a server that would show a blank
or broken page. This module imports nothing of the ``viz`` extra itself.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from diffusion_sim.errors import AppError

#: The environment of an offline Solara server (see the module docstring).
OFFLINE_ENV = {
    # browser assets from <server>/_solara/cdn/..., answered from <prefix>/share/solara/cdn;
    # must be explicit: solara turns the proxy off by itself inside a VS Code terminal
    "SOLARA_ASSETS_PROXY": "true",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_THEME_SHOW_BANNER": "false",
    # mesa 3.3's SolaraViz trips solara's rules-of-hooks linter (a warning per start)
    "SOLARA_CHECK_HOOKS": "off",
    "MPLBACKEND": "Agg",
}
#: The packages the app needs (the ``viz`` extra), by import name.
VIZ_MODULES = ("solara", "ipyvuetify", "mesa.visualization", "altair")


def assets_dir(prefix: str | Path | None = None) -> Path:
    """Where solara-assets puts the page's assets (``<prefix>/share/solara/cdn``)."""
    return Path(prefix or sys.prefix) / "share" / "solara" / "cdn"


def check_viz(prefix: str | Path | None = None) -> None:
    """Refuse (:class:`AppError`, one line) unless the ``viz`` extra is installed with
    its offline assets."""
    hint = "pip install 'diffusion-sim[viz]'"
    for name in VIZ_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise AppError(f"the app needs the viz extra ({name} is missing): {hint}")
    cdn = assets_dir(prefix)
    if not any(cdn.glob("@widgetti/solara-vuetify-app@*")):
        raise AppError(f"the app's page assets are missing ({cdn}): the page would be "
                       f"blank offline; {hint} installs solara-assets")


def check_port(host: str, port: int) -> None:
    """Refuse a port that is already in use (one line, before the server starts)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise AppError(f"cannot serve the app on {host}:{port}: {exc.strerror}") from None


def server_command(scenario: str | Path | None, host: str = "127.0.0.1", port: int = 8765,
                   env: Mapping[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that serve the app for ``scenario`` (a TOML path, or
    None for the built-in scenario) on ``host:port``."""
    out = {**(os.environ if env is None else env), **OFFLINE_ENV}
    if scenario is not None:
        out["DIFFUSION_SIM_APP_SCENARIO"] = str(Path(scenario).resolve())
    else:
        out.pop("DIFFUSION_SIM_APP_SCENARIO", None)
    argv = [sys.executable, "-m", "solara", "run", "diffusion_sim.app", "--host", host,
            "--port", str(port), "--production", "--no-open",
            # else `solara run` asks PyPI for a newer version at start
            "--no-check-version"]
    return argv, out


__all__ = ["OFFLINE_ENV", "assets_dir", "check_port", "check_viz", "server_command"]
