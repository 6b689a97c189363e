"""Files others can read and folders that never mix runs: the store's guarantees."""

import os
import stat
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffusion_sim.errors import OutputError
from diffusion_sim.store import (
    FolderLock,
    output_folder,
    sha256_file,
    write_csv,
    write_csv_rows,
    write_json,
)

BASE = 'name = "tiny"\nsteps = 4\n[population]\nsize = 100\n'


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_files_follow_the_users_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        n, sha = write_csv(tmp_path / "a.csv", [{"x": 1.5}, {"x": 2}])
        write_json(tmp_path / "m.json", {"a": 1})
    finally:
        os.umask(old)
    assert (n, len(sha)) == (2, 64)
    assert mode(tmp_path / "a.csv") == 0o666 & ~mask
    assert mode(tmp_path / "m.json") == 0o666 & ~mask
    assert (tmp_path / "a.csv").read_bytes() == b"x\r\n1.5\r\n2\r\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


VALUES = st.one_of(st.integers(), st.floats(), st.text(max_size=30), st.none())


@settings(max_examples=20, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({"a": VALUES, "b": VALUES, "c": VALUES}),
                     max_size=40), repeat=st.integers(1, 3000))
def test_rows_written_as_they_come_are_the_bytes_of_the_whole_table(tmp_path_factory, rows,
                                                                   repeat):
    d = tmp_path_factory.mktemp("csv")
    rows = rows * repeat  # up to 120,000 rows: several 1 MiB drains
    whole = write_csv(d / "whole.csv", rows, ["a", "b", "c"])
    streamed = write_csv_rows(d / "streamed.csv", iter(rows), ["a", "b", "c"])
    assert (d / "streamed.csv").read_bytes() == (d / "whole.csv").read_bytes()
    assert streamed == whole == (len(rows), sha256_file(d / "whole.csv"))


def test_a_stream_that_fails_midway_leaves_the_earlier_file(tmp_path):
    write_csv(tmp_path / "t.csv", [{"a": 1}])

    def rows():
        yield from ({"a": i} for i in range(100_000))
        raise RuntimeError("a replicate failed")

    with pytest.raises(RuntimeError):
        write_csv_rows(tmp_path / "t.csv", rows(), ["a"])
    assert (tmp_path / "t.csv").read_bytes() == b"a\r\n1\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temp left


def test_a_rerun_replaces_the_folder_as_a_whole(tmp_path):
    out = tmp_path / "res"
    with output_folder(out) as stage:
        write_json(stage / "manifest.json", {"package": "diffusion-sim"})
        write_csv(stage / "old-only.csv", [{"a": 1}])
    with output_folder(out) as stage:
        write_json(stage / "manifest.json", {"package": "diffusion-sim", "run": 2})
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]  # nothing stale
    with pytest.raises(RuntimeError), output_folder(out) as stage:  # a failing run ...
        write_csv(stage / "half.csv", [{"a": 1}])
        raise RuntimeError("killed")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]  # ... changes nothing
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_a_foreign_folder_or_a_file_is_never_replaced(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious")
    with pytest.raises(OutputError, match="did not write"), output_folder(mine):
        pass
    assert (mine / "chapter1.tex").read_text() == "precious"
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match="not a folder"), output_folder(f):
        pass
    with pytest.raises(OutputError, match="a parent of it is a file"), output_folder(
            f / "sub" / "out"):
        pass


def test_cli_refuses_an_unusable_out_before_simulating(tmp_path):
    (tmp_path / "s.toml").write_text(BASE)
    (tmp_path / "f").write_text("x")
    proc = subprocess.run([sys.executable, "-m", "diffusion_sim", "run", str(tmp_path / "s.toml"),
                           "--out", str(tmp_path / "f" / "out"), "--reps", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "is not a folder" in proc.stderr
    assert "run tiny" not in proc.stderr  # no progress: nothing was simulated


def test_a_rerun_of_run_says_it_replaced_and_leaves_no_stale_file(tmp_path, capsys):
    from diffusion_sim.cli import main

    (tmp_path / "s.toml").write_text(BASE)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(out), "--reps", "2",
                 "--workers", "1"]) == 0
    (out / "stale.csv").write_text("from another run")
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(out), "--reps", "2",
                 "--workers", "1"]) == 0
    assert "replaced the earlier results" in capsys.readouterr().out
    assert not (out / "stale.csv").exists()


def test_a_locked_folder_is_refused_with_the_holder(tmp_path):
    with FolderLock(tmp_path, "merging"):
        with pytest.raises(OutputError, match=rf"in use by pid {os.getpid()} on .*merging"), \
                FolderLock(tmp_path, "resuming"):
            pass
        with pytest.raises(OutputError), FolderLock(tmp_path, "shard 1/2", shared=True):
            pass
    with FolderLock(tmp_path, "shard 0/2", shared=True), FolderLock(
            tmp_path, "shard 1/2", shared=True):
        pass  # shards share the folder
