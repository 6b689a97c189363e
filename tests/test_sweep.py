"""Sweeps: designs on values, seeds independent of how work is split, resume, shards."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from diffusion_sim.errors import SweepError
from diffusion_sim.sweep import load_spec, merge, parse_shard, run_sweep, shard_from_env

BASE = 'name = "tiny"\nsteps = 6\n[population]\nsize = 120\n[intervention]\nseed_fraction = 0.05\n'


def spec_file(tmp_path, body, name="spec.toml", design="grid", reps=2, chunk=3, extra=""):
    (tmp_path / "base.toml").write_text(BASE)
    p = tmp_path / name
    p.write_text(f'[sweep]\nname = "t"\nbase = "base.toml"\nseed = 7\nreplications = {reps}\n'
                 f'design = "{design}"\nchunk_size = {chunk}\n{extra}\n[parameters]\n{body}')
    return p


GRID = ('"transmission.reshare_prob" = { levels = [0.0, 0.1] }\n'
        '"decision.share_rate" = { levels = [0.2, 0.4, 0.6] }\n')


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_grid_points_and_run_ids(tmp_path):
    spec = load_spec(spec_file(tmp_path, GRID))
    assert len(spec.points) == 6 and spec.n_runs == 12 and spec.n_chunks == 4
    assert spec.points[0] == {"transmission.reshare_prob": 0.0, "decision.share_rate": 0.2}
    assert spec.points[5] == {"transmission.reshare_prob": 0.1, "decision.share_rate": 0.6}
    assert spec.run_ids(1) == [(1, 1), (2, 0), (2, 1)]
    assert spec.scenario(4).share_rate == 0.4


def test_lhs_is_stratified_within_ranges(tmp_path):
    body = ('"transmission.reshare_prob" = { range = [0.0, 0.2] }\n'
            '"traits.identity_sensitivity.group1.mean" = { range = [0.4, 0.8] }\n')
    spec = load_spec(spec_file(tmp_path, body, design="lhs", extra="samples = 10"))
    x = np.array([p["transmission.reshare_prob"] for p in spec.points])
    y = np.array([p["traits.identity_sensitivity.group1.mean"] for p in spec.points])
    assert len(x) == 10 and x.min() >= 0 and x.max() <= 0.2 and y.min() >= 0.4
    # one point in each tenth of each range (Latin hypercube)
    assert sorted(np.floor(x / 0.02).astype(int)) == list(range(10))
    assert sorted(np.floor((y - 0.4) / 0.04).astype(int)) == list(range(10))
    assert spec.scenario(3).traits["identity_sensitivity"].group_mean[0] == y[3]


def test_oat_varies_one_parameter_at_a_time(tmp_path):
    body = ('"transmission.reshare_prob" = { levels = [0.0, 0.2] }\n'
            '"decision.share_rate" = { range = [0.1, 0.5], n = 3 }\n')
    spec = load_spec(spec_file(tmp_path, body, design="oat"))
    base = {"transmission.reshare_prob": 0.05, "decision.share_rate": 0.3}
    assert spec.points[0] == base
    assert list(spec.points[1:3]) == [{**base, "transmission.reshare_prob": v} for v in (0.0, 0.2)]
    assert [p["decision.share_rate"] for p in spec.points[3:]] == pytest.approx([0.1, 0.3, 0.5])
    assert all(p["transmission.reshare_prob"] == 0.05 for p in spec.points[3:])


@pytest.mark.parametrize("body,extra,msg", [
    ('"transmission.reshare_prob" = { level = [0.1] }\n', "",
     "parameters.transmission.reshare_prob.level: unknown key (did you mean 'levels'?)"),
    ('"transmission.reshare_prb" = { levels = [0.1] }\n', "",
     "transmission.reshare_prb: unknown key (did you mean 'reshare_prob'?)"),
    ('"transmission.reshare_prob" = { levels = [1.5] }\n', "",
     "transmission.reshare_prob: 1.5 is out of range [0, 1]"),
    ('"transmission.reshare_prob" = { levels = [0.1] }\n', "replicatons = 3",
     "sweep.replicatons: unknown key (did you mean 'replications'?)"),
    ('"transmission.reshare_prob" = { range = [0.0, 0.1] }\n', "", "a grid design needs levels"),
])
def test_bad_spec_gives_one_line_naming_file_and_key(tmp_path, body, extra, msg):
    p = spec_file(tmp_path, body, extra=extra)
    with pytest.raises((SweepError,)) as info:
        load_spec(p)
    text = str(info.value)
    assert str(p) in text and msg in text and "\n" not in text


def table(out):
    return (Path(out) / "runs.csv").read_bytes()


def test_results_do_not_depend_on_workers_or_shards(tmp_path):
    spec = spec_file(tmp_path, GRID)
    run_sweep(spec, tmp_path / "serial", workers=1)
    run_sweep(spec, tmp_path / "pool", workers=2)
    for i in range(3):
        run_sweep(spec, tmp_path / "sharded", workers=1, shard=(i, 3))
    merge(tmp_path / "sharded")
    serial = table(tmp_path / "serial")
    assert serial == table(tmp_path / "pool") == table(tmp_path / "sharded")
    r = rows(tmp_path / "serial" / "runs.csv")
    assert len(r) == 12 and len({(x["point"], x["replicate"]) for x in r}) == 12
    # every design point's replicates differ, the same run is the same everywhere
    assert r[0]["engaged_final"] != r[1]["engaged_final"] or r[0]["aware_final"] != r[1]["aware_final"]
    summary = rows(tmp_path / "serial" / "summary.csv")
    eng = [s for s in summary if s["metric"] == "engaged_final"]
    assert len(eng) == 6 and all(s["n"] == "2" for s in eng)
    mean0 = np.mean([float(x["engaged_final"]) for x in r if x["point"] == "0"])
    assert float(eng[0]["mean"]) == pytest.approx(mean0)


def test_merge_names_missing_runs_and_the_shard_to_rerun(tmp_path):
    spec = spec_file(tmp_path, GRID)
    out = tmp_path / "out"
    run_sweep(spec, out, workers=1, shard=(0, 2))
    with pytest.raises(SweepError) as info:
        merge(out)
    msg = str(info.value)
    # chunks 1 and 3 (shard 1/2) are missing: runs 3-5 and 9-11
    assert "6 of 12 runs missing (chunks 1,3)" in msg
    assert "point 1 replicates 1" in msg and "point 2 replicates 0-1" in msg
    assert "point 4 replicates 1" in msg and "point 5 replicates 0-1" in msg
    assert "--shard 1/2" in msg and "--shard 0/2" not in msg
    run_sweep(spec, out, workers=1, shard=(1, 2))
    merge(out)
    run_sweep(spec, tmp_path / "serial", workers=1)
    assert table(out) == table(tmp_path / "serial")


def test_changed_spec_is_refused_and_rerun_without_resume_too(tmp_path):
    spec = spec_file(tmp_path, GRID)
    out = tmp_path / "out"
    run_sweep(spec, out, workers=1, shard=(0, 2))
    with pytest.raises(SweepError, match="add --resume"):
        run_sweep(spec, out, workers=1)
    spec.write_text(spec.read_text().replace("seed = 7", "seed = 8"))
    with pytest.raises(SweepError, match="inputs changed since it started: the seed"):
        run_sweep(spec, out, workers=1, resume=True)


def test_kill_9_then_resume_gives_the_uninterrupted_table(tmp_path):
    body = '"decision.share_rate" = { levels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] }\n'
    (tmp_path / "base.toml").write_text(BASE.replace("size = 120", "size = 600").replace(
        "steps = 6", "steps = 30"))
    spec = tmp_path / "spec.toml"
    spec.write_text('[sweep]\nname = "k"\nbase = "base.toml"\nseed = 3\nreplications = 3\n'
                    f'chunk_size = 2\n[parameters]\n{body}')
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "diffusion_sim", "sweep", str(spec),
                             "--out", str(out), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        done = list((out / "chunks").glob("chunk-*.json")) if (out / "chunks").exists() else []
        if len(done) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = [p.name.replace("chunk-", "runs-").replace(".json", ".csv")
                for p in (out / "chunks").glob("chunk-*.json")]
    done_before = {n: (out / "chunks" / n).read_bytes() for n in recorded}
    assert 3 <= len(done_before) < 12, "the kill should land mid-sweep"
    assert not (out / "runs.csv").exists()
    res = run_sweep(spec, out, workers=2, resume=True)
    assert res["done"] == 12 - len(done_before)  # nothing run twice
    for name, data in done_before.items():  # nothing lost or rewritten
        assert (out / "chunks" / name).read_bytes() == data
    run_sweep(spec, tmp_path / "clean", workers=1)
    assert table(out) == table(tmp_path / "clean")
    r = rows(out / "runs.csv")
    assert len(r) == 24 and len({(x["point"], x["replicate"]) for x in r}) == 24


def test_sobol_design_writes_indices(tmp_path):
    body = ('"decision.share_rate" = { range = [0.05, 0.6] }\n'
            '"transmission.transmissibility" = { range = [0.1, 1.0] }\n')
    spec = spec_file(tmp_path, body, design="sobol", reps=1, chunk=8, extra="samples = 16")
    assert len(load_spec(spec).points) == 16 * 4
    run_sweep(spec, tmp_path / "out", workers=2)
    s = rows(tmp_path / "out" / "sobol.csv")
    assert {r["output"] for r in s} == {"engaged_final", "engaged_gap", "engaged_ci_erreygers"}
    assert len(s) == 6
    eng = {r["parameter"]: r for r in s if r["output"] == "engaged_final"}
    for r in eng.values():
        assert float(r["first_low"]) <= float(r["first_order"]) <= float(r["first_high"])
    # both parameters drive reach: their total-order indices are clearly positive
    assert all(float(r["total_order"]) > 0.05 for r in eng.values())
    assert (tmp_path / "out" / "sobol.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "sobol.svg").exists()  # and as a vector figure
    assert eng["transmission.transmissibility"]["parameter_label"] == "transmissibility"
    assert eng["transmission.transmissibility"]["output_label"] == \
        "People engaged (% of everybody)"
    head = json.loads((tmp_path / "out" / "manifest.json").read_text())
    noted = [r for r in s if r["note"]]
    assert len(head["warnings"]) == len({r["output"] for r in noted})


def test_shard_from_slurm_environment():
    assert shard_from_env({}) is None
    assert shard_from_env({"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}) == (2, 4)
    assert shard_from_env({"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3",
                           "SLURM_ARRAY_TASK_MAX": "6"}) == (2, 4)
    assert parse_shard("1/3") == (1, 3)
    with pytest.raises(SweepError):
        parse_shard("3/3")


def test_series_output_and_manifest(tmp_path):
    spec = spec_file(tmp_path, '"decision.share_rate" = { levels = [0.2] }\n',
                     extra='outputs = "series"')
    run_sweep(spec, tmp_path / "out", workers=1)
    s = rows(tmp_path / "out" / "series.csv")
    assert len(s) == 2 * 7 * 5  # replicates x (steps + 1) x groups
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert man["n_runs"] == 2 and len(man["spec_hash"]) == 64 and "merged" in man


# ---------------------------------------------------------------- trust: identity, damage
def test_identity_covers_base_scenario_data_files_and_design_not_comments(tmp_path):
    edges = tmp_path / "edges.csv"
    edges.write_text("".join(f"{i},{(i * 7 + 3) % 60}\n" for i in range(60)))
    (tmp_path / "base.toml").write_text(
        'name = "e"\nsteps = 4\n[network]\nkind = "edgelist"\nedges_file = "edges.csv"\n')
    spec = tmp_path / "spec.toml"
    spec.write_text('[sweep]\nname = "t"\nbase = "base.toml"\nchunk_size = 1\n'
                    '[parameters]\n"decision.share_rate" = { levels = [0.2, 0.4] }\n')
    out = tmp_path / "out"
    run_sweep(spec, out, workers=1, shard=(0, 2))
    spec.write_text("# a comment changes nothing\n" + spec.read_text())
    run_sweep(spec, out, workers=1, shard=(1, 2))  # accepted: same identity
    merge(out)
    edges.write_text(edges.read_text() + "0,59\n")
    with pytest.raises(SweepError, match=r"the data file .*edges.csv changed"):
        run_sweep(spec, out, workers=1, resume=True)
    edges.write_text(edges.read_text().replace("0,59\n", ""))
    (tmp_path / "base.toml").write_text((tmp_path / "base.toml").read_text() + "[decision]\n"
                                        "temperature = 0.5\n")
    with pytest.raises(SweepError, match="the resolved base scenario"):
        run_sweep(spec, out, workers=1, shard=(1, 2))
    (tmp_path / "base.toml").write_text(
        'name = "e"\nsteps = 4\n[network]\nkind = "edgelist"\nedges_file = "edges.csv"\n')
    spec.write_text(spec.read_text().replace("0.4]", "0.5]"))
    with pytest.raises(SweepError, match=r"the design \(parameters"):
        run_sweep(spec, out, workers=1, resume=True)


@pytest.mark.parametrize("damage", ["truncate", "empty", "no record", "foreign"])
def test_a_damaged_chunk_is_refused_by_merge_and_rerun_by_resume(tmp_path, damage):
    spec = spec_file(tmp_path, GRID)
    out = tmp_path / "out"
    run_sweep(spec, out, workers=1)
    good = (out / "runs.csv").read_bytes()
    chunk = out / "chunks" / "runs-000002.csv"
    if damage == "truncate":
        chunk.write_bytes(chunk.read_bytes()[: len(chunk.read_bytes()) // 2])
    elif damage == "empty":
        chunk.write_bytes(b"")
    elif damage == "no record":
        (out / "chunks" / "chunk-000002.json").unlink()
    else:
        rec = out / "chunks" / "chunk-000002.json"
        rec.write_text(rec.read_text().replace('"identity": "', '"identity": "0'))
    with pytest.raises(SweepError, match=r"3 of 12 runs missing \(chunks 2; 1 chunks damaged"):
        merge(out)
    assert (out / "runs.csv").read_bytes() == good  # the final table was not replaced
    res = run_sweep(spec, out, workers=1, resume=True)
    assert res["done"] == 1 and res["repaired"] == 1
    assert (out / "runs.csv").read_bytes() == good


def test_merge_refuses_while_the_folder_is_in_use(tmp_path):
    from diffusion_sim.errors import OutputError
    from diffusion_sim.store import FolderLock

    spec = spec_file(tmp_path, GRID)
    out = tmp_path / "out"
    run_sweep(spec, out, workers=1)
    with FolderLock(out, "shard 0/2", shared=True), pytest.raises(OutputError, match="in use"):
        merge(out)
    with FolderLock(out, "merging"), pytest.raises(OutputError, match="in use"):
        run_sweep(spec, out, workers=1, resume=True)


def test_sobol_outputs_are_a_function_of_inputs_and_seed(tmp_path):
    body = ('"decision.share_rate" = { range = [0.05, 0.6] }\n'
            '"transmission.transmissibility" = { range = [0.1, 1.0] }\n')
    spec = spec_file(tmp_path, body, design="sobol", reps=1, chunk=16, extra="samples = 8")
    run_sweep(spec, tmp_path / "a", workers=1)
    run_sweep(spec, tmp_path / "b", workers=1)
    assert (tmp_path / "a" / "sobol.csv").read_bytes() == (tmp_path / "b" / "sobol.csv").read_bytes()
    merge(tmp_path / "a")  # merging again gives the same intervals too
    assert (tmp_path / "a" / "sobol.csv").read_bytes() == (tmp_path / "b" / "sobol.csv").read_bytes()
