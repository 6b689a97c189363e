"""The network as the model and the command line use it (the generators and file
readers themselves are tested in test_network.py)."""

import numpy as np

from diffusion_sim.network import build_network, sbm_probabilities
from diffusion_sim.scenario import NetworkParams


# ------------------------------------------------------------------ user files
def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_sbm_probabilities_solve_the_two_equations():
    sizes = np.array([100, 300, 600])
    p_in, p_out = sbm_probabilities(sizes, 8.0, 0.7)
    W = (sizes * (sizes - 1) / 2).sum()
    B = (sizes.sum() ** 2 - (sizes**2).sum()) / 2
    assert np.isclose(p_in * W + p_out * B, 8.0 * sizes.sum() / 2)
    assert np.isclose(p_in * W / (p_in * W + p_out * B), 0.7)


def test_model_runs_on_user_files_and_uses_their_traits(tmp_path):
    from diffusion_sim.model import DiffusionModel
    from diffusion_sim.scenario import default_scenario

    write(tmp_path, "n.csv", "id,group,receptiveness\n" + "".join(
        f"p{i},{1 + i % 2},{0.5 if i % 2 else ''}\n" for i in range(60)))
    write(tmp_path, "e.csv", "".join(f"p{i},p{(i + 1) % 60},strong\n"
                                             for i in range(60)))
    sc = default_scenario().with_overrides({
        "population.group_shares": [0.5, 0.5], "population.nodes_file": "n.csv",
        "network.kind": "edgelist", "network.edges_file": "e.csv", "steps": 5})
    sc = type(sc).from_dict(sc.to_dict(), base_dir=tmp_path)
    m = DiffusionModel(sc, seed=1).run()
    assert m.n == 60 and m.network.n_ties == 60 and m.network.strong.all()
    assert np.all(m.traits["receptiveness"][1::2] == 0.5)
    assert not np.any(m.traits["receptiveness"][0::2] == 0.5)  # drawn where not given


def test_cli_run_reports_malformed_edge_list_in_one_line(tmp_path, capsys):
    from diffusion_sim.cli import main

    write(tmp_path, "e.csv", "a,b\nb\n")
    sc = write(tmp_path, "s.toml", '[network]\nkind = "edgelist"\nedges_file = "e.csv"\n'
                                   '[population]\ngroup_shares = [1.0]\n')
    assert main(["run", str(sc), "--reps", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "e.csv:2:" in err


def test_ties_of_scipy_and_numpy_paths_agree():
    """Network.ties_of uses scipy's row indexing for many rows and numpy for few: both
    must return the same ties in the same (CSR) order."""
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 3, 20_000).astype(np.int8)
    net = build_network(NetworkParams(kind="sbm", mean_degree=6.0), groups, rng)
    rows = np.sort(rng.choice(net.n, 5_000, replace=False))
    big = net.ties_of(rows)  # > 2000 rows: the scipy path
    parts = [net.ties_of(rows[i:i + 1000]) for i in range(0, rows.size, 1000)]  # numpy
    assert np.array_equal(big[0], np.concatenate([p[0] for p in parts]))
    assert np.array_equal(big[1], np.concatenate([p[1] for p in parts]))
    counts = np.diff(big[2])
    assert np.array_equal(counts, net.degree[rows])
    assert np.array_equal(big[0], np.concatenate(
        [net.indices[net.indptr[r]:net.indptr[r + 1]] for r in rows]))
