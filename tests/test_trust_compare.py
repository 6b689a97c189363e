"""Results you can trust: a comparison says when its scenarios have different people,
every command says what reading the user's files did, and Mesa's batch_run reports
the final week."""

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from diffusion_sim.cli import main
from diffusion_sim.compare import different_people, people_differences, run_comparison
from diffusion_sim.errors import ScenarioError
from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import default_scenario, load
from mesa_seeds import batch_run_seeds

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "experiments" / "scenarios"
SMALL = {"population.size": 300, "steps": 6, "intervention.seed_fraction": 0.03}


def small(name, **over):
    return default_scenario().with_overrides({**SMALL, "name": name, **over})


# ------------------------------------------------------------------ which differences
def test_bundled_scenarios_have_the_baselines_people():
    """closed_groups changes network.strong_fraction: a lever, not other people."""
    base = load(BUNDLED / "baseline.toml")
    others = [load(p) for p in sorted(BUNDLED.glob("*.toml")) if p.stem != "baseline"]
    assert "closed_groups" in [o.name for o in others]
    assert load(BUNDLED / "closed_groups.toml").network.strong_fraction != \
        base.network.strong_fraction
    assert different_people(base, others) == {}


@pytest.mark.parametrize("over, expected", [
    ({"population.size": 500}, ["population.size: 300 -> 500"]),
    ({"population.group_shares": [0.4, 0.15, 0.15, 0.15, 0.15]},
     ["population.group_shares: [0.2, 0.2, 0.2, 0.2, 0.2] -> [0.4, 0.15, 0.15, 0.15, 0.15]"]),
    ({"network.mean_degree": 6.0}, ["network.mean_degree: 10 -> 6"]),
    ({"network.homophily": 0.3}, ["network.homophily: 0.7 -> 0.3"]),
    ({"network.kind": "erdos_renyi"}, ["network.kind: sbm -> erdos_renyi"]),
    ({"population.nodes_file": "n.csv"},
     ["population.size: 300 -> given by the files", "population.nodes_file: none -> n.csv"]),
    # not used by the sbm generator: the same people and ties
    ({"network.rewire_prob": 0.5}, []),
    # policy levers
    ({"network.strong_fraction": 0.6}, []),
    ({"network.strong_weight": 2.0, "network.weak_weight": 0.1}, []),
    ({"digital_access.probability": 0.5}, []),
    ({"traits.identity_sensitivity.group1.mean": 0.9}, []),
    ({"intervention.seed_fraction": 0.1}, []),
])
def test_people_differences_follow_the_documented_rule(over, expected):
    assert people_differences(small("base"), small("other", **over)) == expected


def test_generator_parameters_count_where_the_generator_uses_them():
    ws = {"network.kind": "watts_strogatz"}
    diffs = people_differences(small("a", **ws), small("b", **ws, **{"network.rewire_prob": 0.5}))
    assert diffs == ["network.rewire_prob: 0.1 -> 0.5"]
    # a generator parameter is not repeated when the generator itself differs
    assert people_differences(small("a"), small("b", **ws)) == ["network.kind: sbm -> "
                                                               "watts_strogatz"]


def test_the_rule_matches_the_mechanics():
    """strong_fraction (a lever) keeps every tie of every replicate and only turns weak
    ties strong; homophily (the world) changes who is tied to whom."""
    base = small("base")
    for key in [(0,), (1,)]:
        a = DiffusionModel(base, seed=5, key=key).network
        b = DiffusionModel(small("b", **{"network.strong_fraction": 0.6}), seed=5,
                           key=key).network
        c = DiffusionModel(small("c", **{"network.homophily": 0.2}), seed=5, key=key).network
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.all(b.strong[a.strong]) and b.strong.sum() > a.strong.sum()
        assert not (a.indices.size == c.indices.size and np.array_equal(a.indices, c.indices))


def edge_list(folder: Path, name: str = "e.csv") -> Path:
    """60 people on a ring, plus one self-loop (line 3) and one repeated tie (line 5)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["source,target", "p0,p1", "p1,p1", "p1,p2", "p2,p1"]
    lines += [f"p{i},p{(i + 1) % 60}" for i in range(2, 60)]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_data_files_compare_by_content(tmp_path):
    edge_list(tmp_path / "a")
    edge_list(tmp_path / "b")  # a copy elsewhere: the same people
    over = {"network.kind": "edgelist", "network.edges_file": str(tmp_path / "a" / "e.csv")}
    mine = small("mine", **over)
    copy = small("copy", **{**over, "network.edges_file": str(tmp_path / "b" / "e.csv")})
    assert people_differences(mine, copy) == []
    (tmp_path / "b" / "e.csv").write_text("source,target\np0,p1\np1,p2\n")
    assert people_differences(mine, copy) == [
        f"network.edges_file: {tmp_path / 'a' / 'e.csv'} -> {tmp_path / 'b' / 'e.csv'}"]


def test_a_different_number_of_groups_is_refused_before_anything_runs(tmp_path):
    base, three = small("base"), small("three", **{"population.group_shares": [0.5, 0.3, 0.2]})
    calls = []
    with pytest.raises(ScenarioError, match=r"'three' \(3 groups\).*'base' \(5 groups\)"):
        run_comparison(base, [three], reps=2, seed=1, workers=1,
                       progress=lambda done, total: calls.append(done))
    assert calls == []


def test_cli_refuses_a_different_number_of_groups_in_one_line(tmp_path, capsys):
    (tmp_path / "a.toml").write_text('name = "a"\nsteps = 3\n[population]\nsize = 50\n')
    (tmp_path / "b.toml").write_text('name = "b"\nsteps = 3\n[population]\nsize = 50\n'
                                     'group_shares = [0.5, 0.5]\n')
    assert main(["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "--reps", "1",
                 "--workers", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("diffusion-sim: error: cannot compare 'b'")
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ the command line
@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """compare BASE.toml MINE.toml LEVER.toml: MINE is the user's own edge list."""
    d = tmp_path_factory.mktemp("cmp")
    edge_list(d)
    common = 'steps = 5\n[population]\nsize = 300\n[intervention]\nseed_fraction = 0.05\n'
    (d / "base.toml").write_text('name = "base"\n' + common)
    (d / "mine.toml").write_text('name = "mine"\n' + common
                                 + '[network]\nkind = "edgelist"\nedges_file = "e.csv"\n')
    (d / "lever.toml").write_text('name = "lever"\n' + common
                                  + '[network]\nstrong_fraction = 0.6\n')
    out = d / "out"
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        status = main(["compare", str(d / "base.toml"), str(d / "mine.toml"),
                       str(d / "lever.toml"), "--reps", "3", "--workers", "1", "--out",
                       str(out)])
    assert status == 0
    return out, buf.getvalue().splitlines()


NOTES = ["e.csv: 1 self-loops dropped (first at line 3)",
         "e.csv: 1 duplicate ties merged (first at line 5; a merged tie is strong if any "
         "copy is)",
         "e.csv: no strength column: every tie is weak",
         "e.csv: 60 people have no node file: group drawn from group_shares"]


def test_cli_compare_warns_once_per_scenario_on_other_people(compared):
    _, err = compared
    warnings = [line for line in err if "warning" in line]
    assert warnings == [
        "mine: warning: not the same people as the baseline 'base' (population.size: 300 -> "
        "given by the files; network.kind: sbm -> edgelist; network.edges_file: none -> "
        "e.csv): its differences from the baseline include the change of population, not "
        "the policy alone, and pairing buys no variance reduction there"]


def test_cli_compare_prints_the_loaders_notes_once_per_scenario(compared):
    _, err = compared
    assert [line for line in err if ": note: " in line] == [f"mine: note: {n}" for n in NOTES]


def test_compare_report_states_other_people_and_notes_first(compared):
    out, _ = compared
    page = (out / "report.html").read_text()
    notice = page.index("Not the same people.")
    assert notice < page.index("Each scenario was simulated") < page.index("In brief")
    assert "mine (60 people; the baseline 300)" in page
    assert "pairing buys no variance reduction" in page
    assert "lever (" not in page[notice:page.index("Each scenario was simulated")]
    for n in NOTES:
        assert f"mine: {n}" in page
    assert page.index("mine: " + NOTES[0]) < page.index("In brief")
    md = (out / "summary.md").read_text().splitlines()
    assert md[2].startswith("**Not the same people.**")
    assert md[4].startswith("- mine (60 people; the baseline 300): not the same people")
    assert [line for line in md[:16] if line.startswith("- mine: e.csv")] == \
        [f"- mine: {n}" for n in NOTES]
    man = json.loads((out / "manifest.json").read_text())
    assert man["different_people"] == {"mine": [
        "population.size: 300 -> given by the files", "network.kind: sbm -> edgelist",
        "network.edges_file: none -> e.csv"]}
    assert man["notes"] == {"base": [], "mine": NOTES, "lever": []}


def test_cli_run_prints_notes_once_and_writes_them(tmp_path, capsys):
    edge_list(tmp_path)
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\nsteps = 3\n[network]\nkind = "edgelist"\nedges_file = "e.csv"\n')
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "mine.toml"), "--reps", "3", "--workers", "1",
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if ": note: " in line] == [f"mine: note: {n}" for n in NOTES]
    assert (out / "notes.txt").read_text() == "".join(f"mine: {n}\n" for n in NOTES)
    assert json.loads((out / "manifest.json").read_text())["notes"] == NOTES


def test_cli_run_without_user_files_has_no_notes(tmp_path, capsys):
    (tmp_path / "s.toml").write_text('name = "s"\nsteps = 3\n[population]\nsize = 60\n')
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.toml"), "--reps", "2", "--workers", "1", "--out",
                 str(out)]) == 0
    assert "note" not in capsys.readouterr().err
    assert not (out / "notes.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["notes"] == []


# ------------------------------------------------------------------ Mesa's batch_run
MESA_SC = {"population.size": 400, "steps": 6, "decision.share_rate": 0.8,
           "transmission.transmissibility": 1.0, "intervention.seed_fraction": 0.02}


def figures(m: DiffusionModel, t: int) -> dict[str, float]:
    """The DataCollector's figures of week ``t``, read from the counters directly."""
    c = m.counts[t]
    col = m.counter.col
    names = m.rules.table.names
    return {"aware": c[:, col["aware"]].sum() / m.n, "engaged": c[:, col["engaged"]].sum() / m.n,
            "peer_engaged": c[:, col["peer_engaged"]].sum() / m.n,
            "sharing_acts": int(c[:, col["decisions_" + names[1]]:
                                  col["decisions_" + names[-1]] + 1].sum())}


@pytest.mark.parametrize("period", [1, -1])
@pytest.mark.parametrize("max_steps", [6, 4])
def test_mesa_batch_run_reports_the_final_week(period, max_steps):
    import mesa

    sc = default_scenario().with_overrides(MESA_SC)
    rows = mesa.batch_run(DiffusionModel, **batch_run_seeds({"scenario": sc}, [1, 2]),
                          max_steps=max_steps, number_processes=1,
                          data_collection_period=period, display_progress=False)
    for seed in (1, 2):
        direct = DiffusionModel(sc, seed=seed).run()
        # the last two weeks differ, so reporting week T - 1 as T cannot pass
        assert figures(direct, max_steps) != figures(direct, max_steps - 1)
        mine = [r for r in rows if r["seed"] == seed]
        steps = [r["Step"] for r in mine]
        assert steps == (list(range(max_steps + 1)) if period == 1 else [max_steps])
        for r in mine:
            assert {k: r[k] for k in figures(direct, 0)} == figures(direct, r["Step"])


def test_datacollector_table_is_one_row_per_week():
    sc = default_scenario().with_overrides(MESA_SC)
    m = DiffusionModel(sc, seed=3)
    while m.running:
        m.step()
    assert m.t == sc.steps and m.steps == sc.steps + 1  # the closing call ran no week
    table = m.datacollector.get_model_vars_dataframe()
    assert len(table) == sc.steps + 1
    for t in range(sc.steps + 1):
        row = table.iloc[t].to_dict()
        assert {k: row[k] for k in figures(m, t)} == pytest.approx(figures(m, t))
    direct = DiffusionModel(sc, seed=3).run()
    assert not direct.running and np.array_equal(direct.counts, m.counts)

