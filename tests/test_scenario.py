"""Scenario files: round trip, overrides, and one clear line for every kind of bad input."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffusion_sim.errors import ScenarioError
from diffusion_sim.scenario import Scenario, default_scenario, load, save

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_default_round_trips_through_toml(tmp_path):
    s = default_scenario()
    save(s, tmp_path / "d.toml")
    back = load(tmp_path / "d.toml")
    assert back.to_dict() == s.to_dict()


@given(mean=st.floats(0.0, 1.0), rp=st.floats(0.0, 1.0), steps=st.integers(1, 500))
def test_overrides_round_trip(mean, rp, steps):
    s = default_scenario().with_overrides({
        "traits.identity_sensitivity.group1.mean": mean,
        "transmission.reshare_prob": rp, "steps": steps})
    assert s.get("traits.identity_sensitivity.group1.mean") == mean
    assert s.get("traits.identity_sensitivity.group2.mean") == 0.5
    assert s.get("transmission.reshare_prob") == rp
    assert Scenario.from_dict(s.to_dict()) == s


@pytest.mark.parametrize("text,expected", [
    ("[network]\nmean_degre = 4\n",
     "s.toml: network.mean_degre: unknown key (did you mean 'mean_degree'?)"),
    ("stepz = 3\n", "s.toml: stepz: unknown key (did you mean 'steps'?)"),
    ("[transmission]\nreshare_prob = 1.5\n",
     "s.toml: transmission.reshare_prob: 1.5 is out of range [0, 1]"),
    ("[transmission]\nreshare_prob = 'high'\n",
     "s.toml: transmission.reshare_prob: must be a number, got 'high'"),
    ("[population]\ngroup_shares = [0.5, 0.4]\n",
     "s.toml: population.group_shares: shares must sum to 1, they sum to 0.9"),
    ("[population]\nsize = 10.5\n", "s.toml: population.size: must be an integer, got 10.5"),
    ("[network]\nkind = 'smallworld'\n", "s.toml: network.kind: 'smallworld' is not one of"),
    ("[decision]\nshare_once = 1\n", "s.toml: decision.share_once: must be true or false"),
    ("[traits.receptiveness.group9]\nmean = 0.5\n",
     "s.toml: traits.receptiveness.group9: unknown key"),
    ("[traits.receptiveness]\nmean = -0.1\n",
     "s.toml: traits.receptiveness.mean: -0.1 is out of range [0, 1]"),
    ("[intervention]\ntarget_group = 7\n", "s.toml: intervention.target_group: 7 is out of range"),
    ("[intervention]\nreferral_need = [1, 2]\n",
     "s.toml: intervention.referral_need: needs one weight per group (5), got 2"),
    ("[network]\nkind = 'edgelist'\n", "s.toml: network.edges_file: kind = 'edgelist' needs"),
    ("[strategies.open]\nenabled = false\n[decision]\nforced_strategy = 'open'\n",
     "s.toml: decision.forced_strategy: 'open' is forced but disabled"),
    ("[network\nkind = 1\n", "s.toml: not valid TOML"),
])
def test_bad_input_gives_one_line_naming_file_and_key(tmp_path, text, expected):
    p = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(tmp_path)), msg
    assert expected.replace("s.toml", "") in msg.replace(str(p), "")


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load(tmp_path / "nope.toml")


def test_bundled_experiment_scenarios_are_valid():
    scenario_files = sorted((EXPERIMENTS / "scenarios").glob("*.toml"))
    assert len(scenario_files) >= 6, "bundled scenarios missing"
    for f in scenario_files:
        assert load(f).name == f.stem


def test_cli_validate_reports_error_in_one_line(tmp_path, capsys):
    from diffusion_sim.cli import main

    p = write(tmp_path, "[network]\nmean_degre = 4\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "network.mean_degre" in err and "mean_degree" in err
    good = write(tmp_path, "steps = 3\n", "g.toml")
    assert main(["validate", str(good)]) == 0
