"""Sobol outputs with readable names, warnings when the indices cannot be trusted,
NaN kept NaN, noise-aware indices; and SALib's moment-independent index on a sweep."""

import csv
import json
import math
import os
import warnings

import numpy as np
import pytest

from diffusion_sim.errors import AnalysisError
from diffusion_sim.sweep.sobol import denoise, doubt, sobol_rows, sobol_tables, sobol_warnings

REQUIRED = os.environ.get("DIFFUSION_SIM_REQUIRE_HPC") == "1"


def row(first, lo, hi, total=0.5, tlo=0.4, thi=0.6):
    return {"first_order": first, "first_low": lo, "first_high": hi, "total_order": total,
            "total_low": tlo, "total_high": thi}


def test_doubtful_indices_get_a_note():
    assert doubt(row(0.3, 0.2, 0.4)) == ""
    assert doubt(row(-0.12, -0.3, 0.1)) == "first-order index -0.12 outside [0, 1]"
    assert doubt(row(0.1, -0.2, 0.4)) == ("first-order interval (-0.20 to 0.40) wider than "
                                          "the index")
    assert doubt(row(0.3, 0.2, 0.4, total=1.3, tlo=1.0, thi=1.5)) == \
        "total-order index 1.30 outside [0, 1]"
    assert doubt(row(math.nan, math.nan, math.nan)) == "first-order index undefined (NaN output)"


def design(n, d, rng):
    """Saltelli blocks A, B, AB_i of n points in [0, 1]^d."""
    A, B = rng.random((n, d)), rng.random((n, d))
    blocks = [A, B]
    for i in range(d):
        AB = A.copy()
        AB[:, i] = B[:, i]
        blocks.append(AB)
    return np.vstack(blocks)


def test_readable_names_and_warnings_with_too_few_samples():
    rng = np.random.default_rng(1)
    X = design(8, 2, rng)  # N = 8: far too few
    f = X[:, 0] + 0.1 * X[:, 1]
    table = sobol_rows(["transmission.transmissibility", "traits.identity_sensitivity.group1."
                        "mean"], {"engaged_gap": f}, seed=3, n_resamples=199)
    assert table[0]["output_label"] == "Gap: least minus most deprived group"
    assert [r["parameter_label"] for r in table] == ["transmissibility",
                                                     "identity sensitivity (group 1)"]
    assert any(r["note"] for r in table)  # 8 samples cannot pin the weak parameter down
    lines = sobol_warnings(table, 8)
    assert len(lines) == 1 and lines[0].startswith(
        "Sobol indices of 'Gap: least minus most deprived group': for ")
    assert "N = 8 samples are too few" in lines[0]


def test_a_nan_output_stays_nan_and_says_so():
    head = {"points": [{"p": 0.1}] * 12, "seed": 1, "name": "t", "replications": 1}
    rows = [{"point": k, "engaged_final": 0.5 + 0.01 * k, "engaged_gap": 0.1 + 0.003 * k ** 2,
             "engaged_ci_erreygers": math.nan if k == 5 else 0.02} for k in range(12)]
    text, _, lines = sobol_tables(head, rows)
    got = list(csv.DictReader(text.splitlines()))
    ci = next(r for r in got if r["output"] == "engaged_ci_erreygers")
    assert ci["first_order"] == "nan" and ci["total_order"] == "nan"  # never silently 0
    assert ci["note"].startswith("first-order index undefined")
    assert any("Concentration index (Erreygers)" in line for line in lines)


def test_denoised_indices_by_hand():
    table = [{"output": "o", "first_order": 0.4, "total_order": 0.6},
             {"output": "other", "first_order": 0.1, "total_order": 0.2}]
    denoise(table, "o", variance=1.0, noise=0.2)
    assert table[0]["noise_share"] == pytest.approx(0.2)
    assert table[0]["first_order_denoised"] == pytest.approx(0.4 / 0.8)
    assert table[0]["total_order_denoised"] == pytest.approx((0.6 - 0.2) / 0.8)
    assert "noise_share" not in table[1]
    denoise(table, "other", variance=0.1, noise=0.2)  # noise larger than the variance
    assert math.isnan(table[1]["first_order_denoised"])


def test_replicate_variance_is_measured_from_the_replicates():
    # 2 replicates per point, ± 0.1 around the point value: within-point variance 0.02,
    # noise in a point mean 0.01
    rng = np.random.default_rng(0)
    X = design(16, 1, rng)
    head = {"points": [{"p": float(x)} for x in X[:, 0]], "seed": 1, "name": "t",
            "replications": 2}
    rows = [{"point": k, "engaged_final": X[k, 0] + s, "engaged_gap": 0.1 * X[k, 0] + s,
             "engaged_ci_erreygers": X[k, 0]} for k in range(len(X)) for s in (-0.1, 0.1)]
    text, _, _ = sobol_tables(head, rows)
    got = {r["output"]: r for r in csv.DictReader(text.splitlines())}
    assert float(got["engaged_final"]["noise_share"]) == pytest.approx(
        0.01 / np.var(X[:, 0]))
    assert float(got["engaged_ci_erreygers"]["noise_share"]) == 0.0


# ----------------------------------------------------------------------------- SALib
def need_salib():
    try:
        from diffusion_sim.sweep.delta import salib_delta

        salib_delta()
    except AnalysisError:
        msg = "SALib not installed (pip install 'diffusion-sim[analysis]')"
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)


def test_delta_ranks_inputs_and_leaves_global_state_alone():
    need_salib()
    from diffusion_sim.sweep.delta import delta_indices

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (200, 3))
    Y = X[:, 0] + 0.3 * X[:, 1] ** 2 + 0.02 * rng.standard_normal(200)
    np.random.seed(123)  # noqa: NPY002  (the global state SALib would reseed)
    before, filters = np.random.get_state()[1].copy(), list(warnings.filters)  # noqa: NPY002
    res, _ = delta_indices(X, Y, ["a", "b", "c"], [(0, 1)] * 3, seed=4, resamples=10)
    assert np.array_equal(before, np.random.get_state()[1])  # noqa: NPY002
    assert warnings.filters == filters
    d = res["delta_raw"]
    assert d[0] > d[1] > d[2] and d[2] < 0.1 and d[0] > 0.3
    again, _ = delta_indices(X, Y, ["a", "b", "c"], [(0, 1)] * 3, seed=4, resamples=10)
    assert np.array_equal(again["delta_raw_conf"], res["delta_raw_conf"])  # seeded


def test_cli_sensitivity_on_an_existing_lhs_sweep(tmp_path, capsys):
    need_salib()
    from diffusion_sim.cli import main

    (tmp_path / "base.toml").write_text(
        'name = "tiny"\nsteps = 6\n[population]\nsize = 150\n[intervention]\n'
        'seed_fraction = 0.05\n')
    (tmp_path / "spec.toml").write_text(
        '[sweep]\nname = "t"\nbase = "base.toml"\nseed = 7\ndesign = "lhs"\nsamples = 40\n'
        'chunk_size = 20\n[parameters]\n"transmission.transmissibility" = { range = '
        '[0.05, 1.5] }\n"transmission.reshare_prob" = { range = [0.0, 0.01] }\n')
    out = tmp_path / "out"
    assert main(["sweep", str(tmp_path / "spec.toml"), "--out", str(out), "--workers",
                 "2"]) == 0
    assert main(["sensitivity", str(out), "--outputs", "engaged_final", "--resamples",
                 "10"]) == 0
    rows = list(csv.DictReader(open(out / "sensitivity-delta" / "delta.csv")))
    d = {r["parameter"]: float(r["delta_raw"]) for r in rows}
    assert d["transmission.transmissibility"] > d["transmission.reshare_prob"]
    assert rows[0]["parameter_label"] == "transmissibility" and rows[0]["points"] == "40"
    assert (out / "sensitivity-delta" / "delta.svg").exists()
    assert json.loads((out / "manifest.json").read_text())["command"] == "sweep"
    own = json.loads((out / "sensitivity-delta" / "manifest.json").read_text())
    assert (own["command"], own["outputs"], own["resamples"]) == (
        "sensitivity", ["engaged_final"], 10)
    assert main(["sensitivity", str(out), "--outputs", "engaged_final", "--resamples",
                 "10"]) == 0  # again: its own earlier results are replaced
    assert list(csv.DictReader(open(out / "sensitivity-delta" / "delta.csv"))) == rows
    assert main(["sensitivity", str(out), "--outputs", "engaged_fnal"]) == 2
    assert "engaged_fnal: not an output" in capsys.readouterr().err
