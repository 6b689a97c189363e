"""The package's shape: no import cycle, no import hidden in a function to dodge one,
no oversized module, and the vocabulary in one place (a fifth strategy is one table
entry in a scenario file)."""

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from diffusion_sim.errors import ScenarioError
from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import Scenario, default_scenario, describe, load

PKG = Path(__file__).resolve().parents[1] / "src" / "diffusion_sim"


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def top_level_imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Package modules a module imports when it is imported (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    out = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and sub.module and sub.module.startswith(
                    "diffusion_sim"):
                for alias in sub.names:
                    full = f"{sub.module}.{alias.name}"
                    out.add(full if full in known else sub.module)
            elif isinstance(sub, ast.Import):
                out |= {a.name for a in sub.names if a.name.startswith("diffusion_sim")}
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                break
    return out


def test_no_import_cycle_between_modules():
    known = modules()
    graph = {m: top_level_imports(p, known) - {m} for m, p in known.items()}
    for m, deps in graph.items():  # a package imports its own submodules: not a cycle
        graph[m] = {d for d in deps if not d.startswith(m + ".")}
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for d in graph.get(m, ()):
            if d == "diffusion_sim":
                continue  # the root package, imported before any submodule
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack, m, d]))
            if d not in state:
                visit(d, [*stack, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_only_the_cli_imports_package_modules_inside_functions():
    offenders = []
    for name, path in modules().items():
        if name in ("diffusion_sim.cli", "diffusion_sim"):
            continue  # lazy loading of heavy modules keeps --help fast (not a cycle)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith(
                            "diffusion_sim"):
                        offenders.append(f"{name}.{node.name}")
    assert not offenders, offenders


def test_no_module_is_much_over_500_lines():
    big = {m: len(p.read_text().splitlines()) for m, p in modules().items()}
    assert {m: n for m, n in big.items() if n > 550} == {}


FIFTH = """
extends = "{base}"
name = "five"
[strategies.story]
benefit = 1.5
control_loss = 0.2
identity_risk = 0.1
others_harm = 0.1
fidelity = 0.8
audience = "all"
comparison = true
"""


def test_a_fifth_strategy_is_one_table_entry_and_both_engines_agree(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text('steps = 10\n[population]\nsize = 300\n[intervention]\n'
                    'seed_fraction = 0.05\n[transmission]\nreshare_prob = 0.2\n')
    path = tmp_path / "five.toml"
    path.write_text(FIFTH.format(base="base.toml"))
    sc = load(path)
    assert sc.strategy_names == ("avoid", "allocate", "embed", "open", "story")
    a = DiffusionModel(sc, seed=4, engine="agents").run()
    b = DiffusionModel(sc, seed=4, engine="compiled").run()
    assert a.count_columns == b.count_columns
    assert "decisions_story" in a.count_columns
    assert np.array_equal(a.counts, b.counts)
    for k, v in a.trajectory().items():
        assert np.array_equal(v, b.trajectory()[k]), k
    story = a.counts[1:, :, a.count_columns.index("decisions_story")].sum()
    assert story > 0  # the most attractive strategy is chosen
    from diffusion_sim.metrics import summarize

    s = summarize(a)
    assert s["mix_story"] > 0.2
    assert abs(sum(s[f"mix_{x}"] for x in sc.strategy_names) - 1) < 1e-12


def test_a_misspelt_strategy_is_not_silently_a_new_one(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text("[strategies.opne]\ncontrol_loss = 0.5\n")
    with pytest.raises(ScenarioError, match=r"strategies\.opne.*did you mean 'open'"):
        load(p)


def test_parameters_are_validated_on_construction_not_only_by_the_loader():
    s = Scenario()
    assert s.to_dict() == default_scenario().to_dict()
    with pytest.raises(ScenarioError, match=r"steps: -5 is out of range \[1, 100000\]"):
        dataclasses.replace(s, steps=-5)
    with pytest.raises(ScenarioError, match=r"mean_degree: 0.0 is out of range"):
        dataclasses.replace(s.network, mean_degree=0.0)
    with pytest.raises(ScenarioError, match=r"group_shares: shares must sum to 1"):
        dataclasses.replace(s.population, group_shares=(0.5, 0.4))
    assert hash(s) == hash(Scenario())  # frozen all the way down


def test_a_variant_may_have_fewer_groups_than_the_file_it_extends(tmp_path):
    (tmp_path / "five.toml").write_text(
        "[traits.receptiveness]\nmean = 0.4\ngroup5 = { mean = 0.9 }\n"
        "[digital_access]\ngroup4 = { probability = 0.5 }\n")
    (tmp_path / "three.toml").write_text(
        'extends = "five.toml"\n[population]\ngroup_shares = [0.3, 0.3, 0.4]\n')
    sc = load(tmp_path / "three.toml")
    assert sc.n_groups == 3
    assert sc.traits["receptiveness"].group_mean == (0.4, 0.4, 0.4)


def test_describe_lists_every_key_with_its_metadata():
    rows = describe()
    keys = {r["key"] for r in rows}
    flat = set()

    def walk(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                flat.add(prefix + k)

    walk(default_scenario().to_dict())
    assert flat <= keys, flat - keys
    row = next(r for r in rows if r["key"] == "transmission.reshare_prob")
    assert row["range"] == "[0, 1]" and row["default"] == "0.05"
    assert row["meaning"].startswith("chance a first-hand receiver")


def test_cli_describe_prints_every_key(capsys):
    from diffusion_sim.cli import main

    assert main(["describe"]) == 0
    out = capsys.readouterr().out
    assert "network.homophily" in out and "strategies.NAME.*" in out
