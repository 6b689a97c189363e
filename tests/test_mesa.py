"""Mesa-native use: flat (dotted) parameters through batch_run, a reporter for every
headline figure, agent reporters, the lazy network space, seeds through rng=, and an
import that leaves the process's global state alone."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diffusion_sim.errors import ScenarioError
from diffusion_sim.metrics import summarize
from diffusion_sim.model import DiffusionModel
from diffusion_sim.replicate import replicate
from diffusion_sim.reporters import AGENT_REPORTERS, EQUITY_PER_STEP
from diffusion_sim.scenario import load
from mesa_seeds import batch_run_seeds

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
SMALL = {"population.size": 300, "steps": 8}


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# ------------------------------------------------------------------ flat parameters
def test_batch_run_sweeps_a_dotted_parameter_into_a_table_of_plain_values():
    import mesa

    rows = mesa.batch_run(DiffusionModel, **batch_run_seeds({
        "scenario": str(BASELINE), "transmission.transmissibility": [0.05, 1.0],
        "traits.activity.mean": 0.9, "population.size": 300, "steps": 8}, [1, 2]),
        max_steps=100, number_processes=1, display_progress=False)
    assert len(rows) == 4
    for r in rows:
        assert r["Step"] == 8  # the final week, not week 7
        assert type(r["transmission.transmissibility"]) is float
        assert isinstance(r["scenario"], str)
        sc = load(BASELINE).with_overrides({**SMALL, "traits.activity.mean": 0.9,
                                            "transmission.transmissibility":
                                            r["transmission.transmissibility"]})
        direct = replicate(sc, r["seed"]).summary  # the package's own fast path
        for key in ("engaged", "sustained", "aware"):
            assert r[key] == direct[f"{key}_final"]
        for key in (f"{m}_{k}" for m in ("engaged", "sustained") for k in EQUITY_PER_STEP):
            assert same(r[key], direct[key]), key
        assert r["engaged_g1"] == direct["engaged_final_g1"]
    # the swept value made a difference (the column is not decoration)
    by_t = {r["transmission.transmissibility"]: r["engaged"] for r in rows if r["seed"] == 1}
    assert by_t[1.0] > by_t[0.05]


def test_three_spellings_of_a_setting_build_the_same_model():
    a = DiffusionModel(BASELINE, seed=3, **{"transmission.transmissibility": 0.5}, **{
        "population.size": 200})
    b = DiffusionModel(BASELINE, seed=3, transmission__transmissibility=np.float64(0.5),
                       population__size=np.int64(200))
    c = DiffusionModel(load(BASELINE).with_overrides(
        {"transmission.transmissibility": 0.5, "population.size": 200}), seed=3)
    assert a.scenario == b.scenario == c.scenario
    assert a.scenario.transmission.transmissibility == 0.5 and a.n == 200
    assert b.parameters == {"transmission.transmissibility": 0.5, "population.size": 200}
    assert np.array_equal(a.run().counts, c.run().counts)


@pytest.mark.parametrize("kwargs, message", [
    ({"transmission.transmisibility": 0.5}, "did you mean 'transmissibility'"),
    ({"transmission.transmissibility": -1.0}, "transmission.transmissibility"),
    ({"transmission.transmissibility": 0.5, "transmission__transmissibility": 0.4},
     "given twice"),
    ({"seed": 1, "rng": 2}, "seed or rng"),
    ({"rng": "x"}, "rng must be"),
    ({"collect": "everything"}, "collect="),
])
def test_wrong_keyword_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(ScenarioError) as err:
        DiffusionModel(**kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_seed_through_rng_as_mesa_34_passes_it():
    a = DiffusionModel(seed=7, **SMALL).run()
    b = DiffusionModel(rng=7, **SMALL).run()
    assert np.array_equal(a.counts, b.counts)
    g1 = DiffusionModel(rng=np.random.default_rng(5), **SMALL).run()
    g2 = DiffusionModel(rng=np.random.default_rng(5), **SMALL).run()
    assert np.array_equal(g1.counts, g2.counts)


# ------------------------------------------------------------------ reporters
def test_reporters_of_the_last_week_equal_summarize_exactly():
    m = DiffusionModel(BASELINE, seed=11, population__size=500, steps=20).run()
    table = m.datacollector.get_model_vars_dataframe()
    assert len(table) == 21
    last, s = table.iloc[-1].to_dict(), summarize(m)
    G = m.n_groups
    for key in ("aware", "engaged", "sustained", *(f"{k}_g{g}" for k in (
            "aware", "engaged", "sustained") for g in range(1, G + 1))):
        name = key.replace("_g", "_final_g") if "_g" in key else f"{key}_final"
        assert last[key] == s[name], key
    for key in (f"{m_}_{k}" for m_ in ("engaged", "sustained") for k in EQUITY_PER_STEP):
        assert same(last[key], s[key]), key
    # per step: reach never falls, sustained engagement can (attrition is on)
    assert (np.diff(table["aware"]) >= 0).all() and (np.diff(table["engaged"]) >= 0).all()
    assert (table["sustained"] <= table["engaged"]).all()
    assert (np.diff(table["sustained"]) < 0).any()
    mix = table[[f"mix_{s}" for s in m.scenario.strategy_names]].iloc[1:].dropna()
    assert len(mix) and np.allclose(mix.sum(axis=1), 1.0)


def test_agent_reporters_give_state_strategy_group_and_traits():
    m = DiffusionModel(BASELINE, seed=2, collect="agents", population__size=120, steps=3).run()
    df = m.datacollector.get_agent_vars_dataframe()
    assert set(AGENT_REPORTERS) <= set(df.columns)
    last = df.xs(3, level="Step")
    assert len(last) == 120
    assert set(last["group"]) == set(range(1, m.n_groups + 1))  # 1-based
    assert list(last["group"]) == [int(g) + 1 for g in m.world.group]
    assert list(last["state"]) == [("unaware", "aware", "engaged", "disengaged")[s]
                                   for s in m.run_state.state]
    assert set(last["strategy"].dropna()) <= set(m.scenario.strategy_names)
    assert np.array_equal(last["identity_sensitivity"].to_numpy(),
                          m.world.traits["identity_sensitivity"])
    assert np.array_equal(last["privacy_concern"].to_numpy(), m.run_state.privacy_concern)


def test_the_fast_path_pays_for_no_reporter_agent_or_space(monkeypatch):
    def boom(self):
        raise AssertionError("the fast path read a reporter")

    monkeypatch.setattr(DiffusionModel, "figures", property(boom))
    sc = load(BASELINE).with_overrides(SMALL)
    res = replicate(sc, 1)  # would raise if anything collected
    m = DiffusionModel(sc, seed=1, collect=None).run()
    assert m._people is None and m._grid is None
    assert m.datacollector.model_vars == {}
    assert np.array_equal(res.counts, m.counts)


# ------------------------------------------------------------------ space
def test_network_space_is_built_on_first_use_and_matches_the_ties():
    from mesa.discrete_space import Network

    m = DiffusionModel(BASELINE, seed=4, population__size=150, steps=2)
    assert m._grid is None and m._people is None
    grid = m.grid
    assert isinstance(grid, Network) and m.grid is grid
    assert len(grid.all_cells) == 150 and len(grid.agents) == 150
    net = m.world.network
    for i in (0, 17, 149):
        cell = m.person(i).cell
        assert cell.coordinate == i and list(cell.agents) == [m.person(i)]
        ties = sorted(int(j) for j in net.indices[net.indptr[i]:net.indptr[i + 1]])
        assert sorted(c.coordinate for c in cell.neighborhood) == ties
    strong = sum(1 for *_, d in grid.G.edges(data=True) if d["strong"])
    assert strong == int(net.strong.sum()) // 2
    m.run()  # the space changes nothing about the run
    assert np.array_equal(m.counts, DiffusionModel(BASELINE, seed=4, population__size=150,
                                                   steps=2).run().counts)


# ------------------------------------------------------------------ global state
SNAPSHOT = """
import json, multiprocessing, sys, warnings
import numpy, scipy.stats, scipy.special, matplotlib  # third parties' own import effects
def snap():
    return {"start": multiprocessing.get_start_method(allow_none=True),
            "filters": [repr(f) for f in warnings.filters],
            "backend": repr(dict.__getitem__(matplotlib.rcParams, "backend")),
            "pyplot": "matplotlib.pyplot" in sys.modules}
before = snap()
import diffusion_sim, diffusion_sim.model, diffusion_sim.replicate, diffusion_sim.runs
import diffusion_sim.compare, diffusion_sim.sweep, diffusion_sim.cli, diffusion_sim.engines
import mesa  # now a no-op: mesa came in through diffusion_sim
print(json.dumps({"before": before, "after": snap(), "mesa": "mesa" in sys.modules}))
"""


def test_importing_the_package_changes_no_global_state():
    res = subprocess.run([sys.executable, "-c", SNAPSHOT], capture_output=True, text=True,
                         timeout=120, check=True)
    out = json.loads(res.stdout)
    assert out["mesa"]
    assert out["after"] == out["before"]
    assert out["before"]["start"] is None  # not set: the platform default still applies


def test_mesa_imported_first_keeps_its_own_choice():
    code = ("import multiprocessing, mesa, diffusion_sim.model;"
            "print(multiprocessing.get_start_method(allow_none=True))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    import mesa

    expected = "spawn" if "set_start_method" in Path(
        mesa.batchrunner.__file__).read_text().split("def batch_run")[0] else "None"
    assert res.stdout.strip() == expected
