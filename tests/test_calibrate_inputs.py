"""Calibration inputs (no inference library needed): the targets file, the spec, the
priors, what a run says about each target, and scenarios that draw their parameters
from a posterior sample (``parameters_from``) in run, compare and sweep."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diffusion_sim.calibrate import abc, load_calibration, optimise, read_targets
from diffusion_sim.calibrate.runner import run_calibration
from diffusion_sim.calibrate.simulate import Simulator, distance_weights
from diffusion_sim.calibrate.targets import TargetSet
from diffusion_sim.compare import run_comparison
from diffusion_sim.errors import CalibrationError, ScenarioError, SweepError
from diffusion_sim.replicate import replicate
from diffusion_sim.runs import run_replications
from diffusion_sim.scenario import load
from diffusion_sim.state import count_columns
from diffusion_sim.sweep import load_spec

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "experiments" / "scenarios" / "baseline.toml"
HEAD = "week,group,measure,value,n\n"

BAD_TARGETS = [
    ("", r"t\.csv: no header and no targets"),
    ("# only a comment\n\n", r"t\.csv: no header and no targets"),
    (HEAD, r"t\.csv: a header but no targets"),
    ("week,group,measur,value\n1,1,engaged,0.1\n", r"t\.csv:1: unknown column 'measur' "
                                                    r"\(did you mean 'measure'\?\)"),
    ("week,group,value\n1,1,0.1\n", r"t\.csv:1: header lacks measure"),
    ("week,group,measure,value,value\n", r"t\.csv:1: column 'value' appears twice"),
    (HEAD + "1,1,engaged,0.1\n", r"t\.csv:2: 4 fields, the header has 5"),
    (HEAD + "# note\n1.5,1,engaged,0.1,\n", r"t\.csv:3: week: '1\.5' is not a whole number"),
    (HEAD + "-1,1,engaged,0.1,\n", r"t\.csv:2: week: -1 is negative"),
    (HEAD + "1,poor,engaged,0.1,\n", r"t\.csv:2: group: 'poor' is not 'all' or a group"),
    (HEAD + "1,0,engaged,0.1,\n", r"t\.csv:2: group: 0 is not a group number"),
    (HEAD + "1,1,enagaged,0.1,\n", r"t\.csv:2: measure: unknown measure 'enagaged' "
                                   r"\(did you mean 'engaged'\?\)"),
    (HEAD + "1,1,engaged,,\n", r"t\.csv:2: value: '' is not a number"),
    (HEAD + "1,1,engaged,12,\n", r"t\.csv:2: value: 12 is not a fraction in \[0, 1\]"),
    (HEAD + "1,1,engaged,nan,\n", r"t\.csv:2: value: nan is not a fraction"),
    (HEAD + "1,1,engaged,0.1,0\n", r"t\.csv:2: n: 0 must be at least 1"),
    (HEAD + "1,1,engaged,0.1,ten\n", r"t\.csv:2: n: 'ten' is not a whole number"),
    (HEAD + "1,1,engaged,0.1,\n\n1,1,engaged,0.2,\n", r"t\.csv:4: repeats line 2 "
                                                      r"\(engaged, group 1, week 1\)"),
]


@pytest.mark.parametrize("text,message", BAD_TARGETS)
def test_a_bad_targets_file_is_one_line_naming_file_and_line(tmp_path, text, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(CalibrationError, match=message) as info:
        read_targets(path)
    assert "\n" not in str(info.value)


def test_targets_file_read_with_comments_bom_optional_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\ufeff# from a report\nmeasure,week,group,value,source\n"
                    "engaged,12,all,0.25,table 3\nmix_allocate, 52 ,2,0.3,\n", encoding="utf-8")
    a, b = read_targets(path)
    assert (a.line, a.week, a.group, a.measure, a.value, a.n) == (3, 12, 0, "engaged", 0.25, None)
    assert (b.line, b.week, b.group, b.measure) == (4, 52, 2, "mix_allocate")
    (tmp_path / "bin.csv").write_bytes(HEAD.encode() + b"1,1,engaged,\xff\n")
    with pytest.raises(CalibrationError, match=r"bin\.csv:2: not UTF-8"):
        read_targets(tmp_path / "bin.csv")


SPEC = """[calibration]
name = "t"
base = "{base}"
targets = "t.csv"
{extra}
[parameters]
{params}
"""
GOOD_PARAMS = '"transmission.transmissibility" = { uniform = [0.1, 0.8] }'


def write_spec(tmp_path, extra="", params=GOOD_PARAMS, targets=HEAD + "12,1,engaged,0.1,400\n"):
    (tmp_path / "t.csv").write_text(targets)
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(base=BASE.as_posix(), extra=extra, params=params))
    return path


BAD_SPECS = [
    ({"extra": "particles = 5"}, r"calibration\.particles: 5 is out of range \[10, inf\]"),
    ({"extra": 'method = "mcmc"'}, r"calibration\.method: 'mcmc' is not one of"),
    ({"extra": "particles = 1_000_000_000"}, r"calibration\.particles: 1,000,000,000 "
     r"particles need at least as many simulations, but the budget is 100,000"),
    ({"extra": "partcles = 50"}, r"calibration\.partcles: unknown key \(did you mean "
                                 r"'particles'\?\)"),
    ({"extra": 'distance = "binomial"', "targets": HEAD + "12,1,engaged,0.1,\n"},
     r"'binomial' needs n on every target; .*t\.csv:2 has none"),
    ({"extra": 'method = "optimize"\ndistance = "adaptive"'}, r"'adaptive' needs method 'abc'"),
    ({"params": ""}, r"parameters: no parameters to estimate"),
    ({"params": '"transmission.transmisibility" = { uniform = [0.1, 0.8] }'},
     r"parameters\.transmission\.transmisibility: no such scenario key"),
    ({"params": '"transmission.reinforcement" = { uniform = [1, 3] }'},
     r"parameters\.transmission\.reinforcement: an integer parameter"),
    ({"params": '"network.kind" = { uniform = [1, 3] }'}, r"network\.kind: not a number"),
    ({"params": '"transmission.reshare_prob" = { uniform = [0.1, 1.5] }'},
     r"reshare_prob: the prior's support Uniform\(0\.1, 1\.5\) reaches invalid values: "
     r".*out of range \[0, 1\]"),
    ({"params": '"transmission.reshare_prob" = { normal = [0, 1] }'},
     r"unknown prior 'normal'"),
    ({"params": '"transmission.reshare_prob" = { uniform = [0.5, 0.1] }'},
     r"uniform: need low < high, got \[0\.5, 0\.1\]"),
    ({"params": '"transmission.attrition" = { loguniform = [0, 0.1] }'},
     r"loguniform: low must be positive"),
    ({"params": '"transmission.attrition" = { beta = [2, -1] }'}, r"shapes must be positive"),
    ({"params": '"transmission.attrition" = { uniform = [0, 0.1], range = [0, 1] }'},
     r"range: only a beta prior takes a range"),
    ({"params": '"transmission.attrition" = { beta = [2, 2], uniform = [0, 1] }'},
     r"give exactly one prior"),
    ({"targets": HEAD + "60,1,engaged,0.1,\n"}, r"t\.csv:2: week: 60 is after the "
                                                r"scenario's last week \(52\)"),
    ({"targets": HEAD + "12,6,engaged,0.1,\n"}, r"t\.csv:2: group: 6 is out of range \[1, 5\]"),
    ({"targets": HEAD + "12,1,mix_opne,0.1,\n"}, r"t\.csv:2: measure: 'opne' is not a "
                                                 r"strategy here \(did you mean 'open'\?\)"),
    ({"targets": HEAD + "12,1,acts_avoid,0.1,\n"}, r"'avoid' is not a strategy here"),
    ({"targets": HEAD + "0,1,shared,0.1,\n"}, r"t\.csv:2: measure: shared counts decisions"),
]


@pytest.mark.parametrize("kw,message", BAD_SPECS)
def test_a_bad_spec_is_one_line_naming_file_and_key(tmp_path, kw, message):
    path = write_spec(tmp_path, **kw)
    with pytest.raises(CalibrationError, match=message) as info:
        load_calibration(path)
    assert "\n" not in str(info.value)


def test_a_good_spec_resolves_defaults_and_identity(tmp_path):
    spec = load_calibration(write_spec(
        tmp_path, extra='[overrides]\n"population.size" = 800',
        params=GOOD_PARAMS + '\n"traits.receptiveness.mean" = { beta = [2, 3], '
                             'range = [0.1, 0.9] }'))
    assert spec.method == "abc" and spec.distance == "adaptive"
    assert spec.scenario.population.size == 800
    assert spec.parameters == ("transmission.transmissibility", "traits.receptiveness.mean")
    beta = spec.priors[1]
    assert (beta.lo, beta.hi) == (0.1, 0.9)
    assert beta.dist().mean() == pytest.approx(0.1 + 0.8 * 2 / 5)
    ident = spec.identity()
    assert load_calibration(tmp_path / "spec.toml").identity() == ident
    (tmp_path / "t.csv").write_text(HEAD + "12,1,engaged,0.11,400\n")
    changed = load_calibration(tmp_path / "spec.toml").identity()
    assert [k for k in ident if ident[k] != changed[k]] == ["targets"]
    opt = load_calibration(write_spec(tmp_path, extra='method = "optimize"'))
    assert opt.distance == "binomial"  # every target has n


def test_cli_rejects_a_bad_targets_file_with_one_line_and_exit_2(tmp_path):
    path = write_spec(tmp_path, targets=HEAD + "12,1,engaged,1.2,400\n")
    res = subprocess.run([sys.executable, "-m", "diffusion_sim", "calibrate", str(path),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0
    assert res.stderr.startswith("diffusion-sim: error: ") and "t.csv:2: value: 1.2" in res.stderr
    assert not (tmp_path / "out").exists()


def test_validate_checks_a_calibration_spec_and_calibrate_checks_memory(tmp_path, capsys):
    from diffusion_sim.cli import main

    path = write_spec(tmp_path)
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith(
        f"{path}: ok (calibration t: abc, 1 parameters, 1 targets; 2,000 people")
    bad = write_spec(tmp_path, targets=HEAD + "12,1,engaged,1.2,400\n")
    assert main(["validate", str(bad)]) == 2
    assert "t.csv:2: value: 1.2" in capsys.readouterr().err
    path = write_spec(tmp_path)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out"),
                 "--max-memory", "10M", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "needs about 48.6 MiB of memory but 10 MiB is available (--max-memory)" in err
    assert not (tmp_path / "out").exists()


def test_targets_read_off_a_run_match_the_counters(tmp_path):
    sc = load(BASE).with_overrides({"steps": 8, "population.size": 400})
    res = replicate(sc, 3, (0,))
    path = tmp_path / "t.csv"
    path.write_text(HEAD + "8,all,engaged,0.1,\n4,2,engaged_now,0.1,\n8,1,shared,0.1,\n"
                    "8,all,mix_avoid,0.1,\n8,3,acts_allocate,0.1,\n0,all,aware,0.1,\n")
    ts = TargetSet(read_targets(path), res.columns)
    v = ts.simulate(res.counts, res.group_sizes)
    c, col, n = res.counts, {k: i for i, k in enumerate(res.columns)}, res.group_sizes
    assert v[0] == c[8, :, col["engaged"]].sum() / n.sum()
    assert v[1] == c[4, 1, col["engaged_now"]] / n[1]
    acts = sum(c[8, 0, col[f"decisions_{s}"]] for s in ("allocate", "embed", "open"))
    assert v[2] == acts / n[0]
    dec = c[1:9][:, :, [col[f"decisions_{s}"] for s in ("avoid", "allocate", "embed", "open")]]
    assert v[3] == pytest.approx(dec[:, :, 0].sum() / dec.sum())
    g3 = dec[:, 2].sum(axis=0)
    assert v[4] == (pytest.approx(g3[1] / g3[1:].sum()) if g3[1:].sum() else v[4])
    assert v[5] == c[0, :, col["aware"]].sum() / n.sum() > 0  # the seeds are aware
    # observed as the data were: binomial where n is given, exact where not
    ts2 = TargetSet(read_targets(_with_n(path, 50)), res.columns)
    obs = ts2.observe(v, np.random.default_rng(1))
    assert np.all(obs * 50 == np.round(obs * 50)) and not np.array_equal(obs, v)
    assert np.array_equal(ts.observe(v, np.random.default_rng(1)), np.where(np.isnan(v), -1, v))


def _with_n(path: Path, n: int) -> Path:
    lines = path.read_text().splitlines()
    out = path.with_name("n.csv")
    out.write_text("\n".join([lines[0]] + [line + str(n) for line in lines[1:]]) + "\n")
    return out


def test_binomial_distance_weights_follow_precision(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEAD + "4,1,engaged,0.5,100\n4,2,engaged,0.5,400\n4,3,engaged,0.0,100\n")
    ts = TargetSet(read_targets(path), count_columns())
    w = distance_weights("binomial", ts)
    assert w[1] / w[0] == pytest.approx(4.0)
    assert math.isfinite(w[2]) and w[2] > w[0]  # a 0 is clipped, not infinite
    assert np.all(distance_weights("euclidean", ts) == 1)


def test_simulator_is_deterministic_in_its_entropy(tmp_path):
    spec = load_calibration(write_spec(tmp_path, extra='[overrides]\nsteps = 12\n'
                                                       '"population.size" = 300'))
    sim = Simulator(spec)
    a = sim({"transmission.transmissibility": 0.5}, 11)
    assert np.array_equal(a, sim({"transmission.transmissibility": 0.5}, 11))
    assert not np.array_equal(a, sim({"transmission.transmissibility": 0.5}, 12))


# ---------------------------------------------------------------- parameters_from
DRAWS = "draw,transmission.transmissibility,traits.receptiveness.mean\n" \
        "0,0.2,0.3\n1,0.6,0.5\n2,0.9,0.7\n"


def drawn_scenario(tmp_path, draws=DRAWS):
    (tmp_path / "posterior_draws.csv").write_text(draws)
    path = tmp_path / "posterior.toml"
    path.write_text(f'extends = "{BASE.as_posix()}"\nparameters_from = "posterior_draws.csv"\n'
                    'steps = 6\n[population]\nsize = 300\n')
    return path


def test_replicate_r_uses_draw_r_mod_d_and_says_so(tmp_path):
    sc = load(drawn_scenario(tmp_path))
    assert sc.to_dict()["parameters_from"] == "posterior_draws.csv"
    assert "parameters_from" not in load(BASE).to_dict()  # old scenarios read as before
    for r, (t, m) in enumerate([(0.2, 0.3), (0.6, 0.5), (0.9, 0.7), (0.2, 0.3)]):
        d = sc.drawn((r,))
        assert (d.transmission.transmissibility, d.traits["receptiveness"].mean) == (t, m)
        assert d.parameters_from == ""
    assert sc.drawn((5, 1)).transmission.transmissibility == 0.6  # sweep key (point, rep)
    res = replicate(sc, 1, (1,))
    plain = replicate(sc.drawn((1,)), 1, (1,))
    assert np.array_equal(res.counts, plain.counts)
    assert any("intervals include parameter uncertainty" in n for n in res.notes)
    # run writes the note too
    run = run_replications(sc, 2, 1, tmp_path / "run", figures=False)
    assert "replicate r uses draw r mod 3" in (tmp_path / "run" / "notes.txt").read_text()
    assert run.runs[0]["engaged_final"] != run.runs[1]["engaged_final"]


BAD_DRAWS = [
    ("draw,transmission.transmisibility\n0,0.2\n", r"posterior_draws\.csv:1: "
                                                   r"transmission\.transmisibility: no such"),
    ("draw,traits.receptiveness.mean\n0,1.4\n", r"receptiveness\.mean: 1\.4 is out of range"),
    ("draw,transmission.transmissibility\n0,x\n", r"posterior_draws\.csv:2: a value is not"),
    ("draw,transmission.transmissibility\n", r"a header but no draws"),
    ("draw,network.kind\n0,1\n", r"network\.kind: not a number"),
]


@pytest.mark.parametrize("draws,message", BAD_DRAWS)
def test_a_bad_draws_file_is_one_line(tmp_path, draws, message):
    with pytest.raises(ScenarioError, match=r"posterior\.toml: parameters_from: .*" + message):
        load(drawn_scenario(tmp_path, draws))


def test_compare_pairs_draws_and_refuses_to_overrule_a_drawn_parameter(tmp_path):
    sc = load(drawn_scenario(tmp_path))
    policy = sc.with_overrides({"name": "closed", "strategies.allocate.control_loss": 0.05})
    comp = run_comparison(sc, [policy], reps=3, seed=5, workers=1)
    notes = comp.notes[policy.name]
    assert any("intervals include parameter uncertainty" in n for n in notes)
    # replicate r of both scenarios ran with draw r: the same as running the drawn ones
    for r in range(3):
        alone = replicate(policy.drawn((r,)), 5, (r,)).summary["engaged_final"]
        assert comp.runs["closed"][r]["engaged_final"] == alone
    bad = sc.with_overrides({"name": "faster", "transmission.transmissibility": 0.95})
    with pytest.raises(ScenarioError, match=r"'faster' changes transmission\."
                                            r"transmissibility, which is drawn"):
        run_comparison(sc, [bad], reps=1, workers=1)
    undrawn = sc.with_overrides({"name": "nodraws", "parameters_from": ""})
    with pytest.raises(ScenarioError, match=r"do not draw their parameters from the same"):
        run_comparison(sc, [undrawn], reps=1, workers=1)


def test_sweep_refuses_to_sweep_a_drawn_parameter(tmp_path):
    drawn_scenario(tmp_path)
    spec = tmp_path / "sweep.toml"
    spec.write_text('[sweep]\nname = "s"\nbase = "posterior.toml"\n[parameters]\n'
                    '"transmission.transmissibility" = { levels = [0.1, 0.2] }\n')
    with pytest.raises(SweepError, match=r"transmission\.transmissibility: drawn from "
                                         r"posterior_draws\.csv"):
        load_spec(spec)
    spec.write_text('[sweep]\nname = "s"\nbase = "posterior.toml"\n[parameters]\n'
                    '"transmission.reshare_prob" = { levels = [0.1, 0.2] }\n')
    assert len(load_spec(spec).points) == 2


def test_a_missing_library_is_one_line_saying_how_to_install(tmp_path, monkeypatch):
    spec = write_spec(tmp_path)
    monkeypatch.setattr(abc, "pyabc", None)
    with pytest.raises(CalibrationError, match=r"needs pyabc, which is not installed: "
                                               r"pip install 'diffusion-sim\[calib\]'"):
        run_calibration(spec, tmp_path / "out")
    monkeypatch.setattr(optimise, "optuna", None)
    spec.write_text(spec.read_text().replace('name = "t"', 'name = "t"\nmethod = "optimize"'))
    with pytest.raises(CalibrationError, match=r"needs optuna"):
        run_calibration(spec, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["illustrative.toml", "coverage_spec.toml"])
def test_the_bundled_calibration_specs_are_valid(name):
    spec = load_calibration(ROOT / "experiments" / "calibration" / name)
    assert spec.method == "abc" and len(spec.priors) >= 3
    assert all(t.n for t in spec.targets)
