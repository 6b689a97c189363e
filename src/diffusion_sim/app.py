"""The interactive app: Mesa's SolaraViz page for a scenario (``diffusion-sim app``).

Sliders for the policy levers (:mod:`diffusion_sim.levers`: closed groups,
anti-stigma, embedding support, digital inclusion), the seeding policy and size, the
broadcast, and the key behavioural parameters (each slider is the scenario setting of
the same dotted name, starting at the scenario's value); Step, Play and Reset from
SolaraViz. The page shows the network (for up to :data:`DRAW_LIMIT` people: colour =
state, marker = group) and live plots of reach and sustained engagement by group, the
gaps and the strategy mix, all read from the model's DataCollector.

Run it with ``diffusion-sim app [SCENARIO.toml]`` (it sets what the Solara server needs
to work offline); ``solara run diffusion_sim.app`` works too, with the scenario in the
environment variable ``DIFFUSION_SIM_APP_SCENARIO`` (default: the built-in scenario).
Each browser session gets its own model. Needs the ``viz`` extra.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import networkx as nx
import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from diffusion_sim.levers import LEVERS, PolicyModel
from diffusion_sim.mesa_api import preserved_global_state
from diffusion_sim.scenario import Scenario, default_scenario, load
from diffusion_sim.seeding import SEEDING_POLICIES
from diffusion_sim.state import STATES

with preserved_global_state():
    from mesa.visualization import Slider, SolaraViz
    from mesa.visualization.components import AgentPortrayalStyle
    from mesa.visualization.mpl_space_drawing import draw_network
    from mesa.visualization.utils import update_counter

#: Networks of more people than this are not drawn (a spring layout is O(n²) per
#: iteration and the picture would be a blot); the plots are shown all the same.
DRAW_LIMIT = 600
#: Seed of the app's runs (Reset rebuilds the model with the same seed).
APP_SEED = 1
STATE_COLOURS = {"unaware": "#c8c8c8", "aware": "#f2b701", "engaged": "#2a9d3a",
                 "disengaged": "#b2182b"}
GROUP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
GROUP_COLOURS = ("#b2182b", "#ef8a62", "#999999", "#67a9cf", "#2166ac", "#5aae61",
                 "#762a83", "#e08214", "#1b7837", "#40004b")

#: Behavioural sliders: setting -> (label, min, max, step).
BEHAVIOUR = {
    "transmission.transmissibility": ("Transmissibility", 0.0, 1.0, 0.05),
    "transmission.reshare_prob": ("Reshare probability (loss of control)", 0.0, 0.5, 0.01),
    "transmission.attrition": ("Weekly attrition", 0.0, 0.2, 0.01),
    "decision.temperature": ("Decision noise (temperature)", 0.0, 2.0, 0.05),
    "decision.norm_weight": ("Pull of peers seen sharing (norm weight)", 0.0, 2.0, 0.1),
}


def _slider(label: str, value: float, lo: float, hi: float, step: float,
            dtype: type = float) -> Slider:
    """A slider starting at the scenario's ``value`` (the range widened to hold it)."""
    return Slider(label, dtype(value), dtype(min(lo, value)), dtype(max(hi, value)),
                  dtype(step), dtype=dtype)


def model_params(base: Scenario, seed: int = APP_SEED) -> dict[str, Any]:
    """SolaraViz's ``model_params`` for ``base``: fixed scenario and seed, a slider per
    lever and per behavioural setting, the seeding policy and the population size."""
    iv = base.intervention
    params: dict[str, Any] = {"scenario": base, "seed": seed}
    for lever in LEVERS.values():
        params[lever.name] = _slider(lever.label, 0.0, 0.0, 1.0, 0.1)
    params["intervention.seeding"] = {"type": "Select", "label": "Seeding policy",
                                      "value": iv.seeding, "values": list(SEEDING_POLICIES)}
    params["intervention.seed_fraction"] = _slider("Seeded at the start (fraction)",
                                                   iv.seed_fraction, 0.005, 0.2, 0.005)
    params["intervention.broadcast_rate"] = _slider("Broadcast (weekly chance to hear it)",
                                                    iv.broadcast_rate, 0.0, 0.05, 0.005)
    for path, (label, lo, hi, step) in BEHAVIOUR.items():
        params[path] = _slider(label, base.get(path), lo, hi, step)
    if not base.data_files:  # people from a user's file: their number is the file's
        params["population.size"] = _slider("People", base.population.size, 100, 5000,
                                            100, dtype=int)
    return params


def base_scenario(env: Mapping[str, str] | None = None) -> Scenario:
    """The app's scenario: the file named by ``DIFFUSION_SIM_APP_SCENARIO``, or the
    built-in default."""
    path = (os.environ if env is None else env).get("DIFFUSION_SIM_APP_SCENARIO")
    return load(path) if path else default_scenario()


# ---------------------------------------------------------------------- components
def portrayal(person: Any) -> AgentPortrayalStyle:
    """Colour by state, marker by group (1-based group K -> marker K)."""
    return AgentPortrayalStyle(color=STATE_COLOURS[STATES[person.state]],
                               marker=GROUP_MARKERS[(person.group - 1) % len(GROUP_MARKERS)],
                               size=28, edgecolors="#333333", linewidths=0.4)


def positions(model: PolicyModel) -> dict[int, Any]:
    """Fixed node positions of the model's network (computed once per model)."""
    G = model.grid.G
    if "pos" not in G.graph:
        G.graph["pos"] = nx.spring_layout(G, seed=0, iterations=40)
    return G.graph["pos"]


@solara.component
def NetworkView(model: PolicyModel) -> None:
    """The network coloured by state, or a note when it is too large to draw."""
    update_counter.get()
    if model.n > DRAW_LIMIT:
        # plain text: solara.Markdown would load KaTeX, which solara-assets lacks
        solara.Text(f"Network not drawn: {model.n:,} people (drawn up to {DRAW_LIMIT}; "
                    "lower People to see it). The plots show the run.")
        return
    pos = positions(model)
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot()
    draw_network(model.grid, portrayal, ax=ax, draw_grid=False,
                 layout_alg=lambda G, **kw: pos, layout_kwargs={})
    edges = nx.draw_networkx_edges(model.grid.G, pos, ax=ax, alpha=0.15, width=0.4)
    edges.set_zorder(0)
    handles = [ax.scatter([], [], color=c, label=s) for s, c in STATE_COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    ax.set_title(f"Week {model.t}: colour = state, marker = group (o = 1, \u25a1 = 2, "
                 "\u25b3 = 3 ...)", fontsize=9)
    solara.FigureMatplotlib(fig, format="png", bbox_inches="tight")


def _series(ax: Any, table: Any, steps: int, title: str,
            columns: Mapping[str, tuple[str, str]], ylabel: str) -> None:
    """Lines of DataCollector columns (column -> (label, colour)) by week, the
    fractions shown as percentages (or percentage points)."""
    for col, (label, colour) in columns.items():
        ax.plot(table.index, table[col] * 100.0, label=label, color=colour)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, max(steps, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, frameon=False, loc="upper left")


def _plot(model: PolicyModel, title: str, columns: Mapping[str, tuple[str, str]],
          ylabel: str) -> None:
    """One figure of :func:`_series` (re-drawn at every step)."""
    update_counter.get()
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    _series(fig.subplots(), model.datacollector.get_model_vars_dataframe(),
            model.scenario.steps, title, columns, ylabel)
    solara.FigureMatplotlib(fig, format="png")


def _by_group(model: PolicyModel, measure: str) -> dict[str, tuple[str, str]]:
    return {f"{measure}_g{g}": (f"group {g}", GROUP_COLOURS[(g - 1) % len(GROUP_COLOURS)])
            for g in range(1, model.n_groups + 1)}


@solara.component
def ReachPlot(model: PolicyModel) -> None:
    _plot(model, "Reached (ever engaged) by group", _by_group(model, "engaged"), "% of group")


@solara.component
def SustainedPlot(model: PolicyModel) -> None:
    _plot(model, "Sustained engagement (engaged now) by group",
          _by_group(model, "sustained"), "% of group")


@solara.component
def GapPlot(model: PolicyModel) -> None:
    _plot(model, "Gap: least minus most deprived group",
          {"engaged_gap": ("reached", "#2166ac"), "sustained_gap": ("sustained", "#b2182b")},
          "percentage points")


@solara.component
def MixPlot(model: PolicyModel) -> None:
    colours = ("#999999", "#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e")
    _plot(model, "Strategy mix of the week's decisions",
          {f"mix_{s}": (s, colours[i % len(colours)])
           for i, s in enumerate(model.scenario.strategy_names)}, "% of decisions")


def status_line(model: PolicyModel) -> str:
    """"Scenario: NAME, N people, week T of STEPS", with " (ended)" once the run is over.

    Mesa's own counter ("Step: N") counts calls of ``step()``; the call after the last
    week only ends the run, so at the end it reads one more than the last week."""
    ended = "" if model.running else " (ended)"
    return (f"Scenario: {model.scenario.name}, {model.n:,} people, "
            f"week {model.t} of {model.scenario.steps}{ended}")


@solara.component
def Settings(model: PolicyModel) -> None:
    """What the current model was built with (one line per slider) and where it is."""
    update_counter.get()
    f = model.figures
    with solara.Column(gap="0px"):
        solara.Text(status_line(model))
        solara.Text(f"Reached: {100 * f['engaged']:.1f} %; sustained: "
                    f"{100 * f['sustained']:.1f} %; gap: {100 * f['engaged_gap']:.1f} pp")
        for name, s in model.levers.items():
            solara.Text(f"{name} = {s:g}")
        for path in (*BEHAVIOUR, "intervention.seeding", "intervention.seed_fraction",
                     "intervention.broadcast_rate"):
            value = model.scenario.get(path)
            solara.Text(f"{path} = {value:g}" if isinstance(value, float)
                        else f"{path} = {value}")


COMPONENTS = [NetworkView, ReachPlot, SustainedPlot, GapPlot, MixPlot, Settings]


@solara.component
def Page() -> None:
    """One model per browser session, built from the app's scenario."""
    base = solara.use_memo(base_scenario, dependencies=[])
    model = solara.use_memo(lambda: PolicyModel(base, seed=APP_SEED), dependencies=[])
    SolaraViz(model, components=COMPONENTS, model_params=model_params(base),
              name=f"diffusion-sim: {base.name}")


__all__ = ["APP_SEED", "COMPONENTS", "DRAW_LIMIT", "Page", "base_scenario", "model_params",
           "portrayal"]
