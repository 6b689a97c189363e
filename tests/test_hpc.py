"""HPC batch mode: the scripts ``diffusion-sim slurm`` writes, and the real thing.

The first tests check the scripts without a cluster: every path quoted (for bash and
for sbatch's own ``#SBATCH`` parser, re-implemented here), bad values refused in one
line, ``submit.sh`` run against a stand-in ``sbatch``. The ``hpc`` tests need
``sbatch`` (a running Slurm) and ``mpiexec`` (from the ``[mpi]`` extra). Without them
they skip, saying why; with DIFFUSION_SIM_REQUIRE_HPC=1 (set by .ci/run, which starts a
single-node Slurm) they fail instead of skipping. They run the worked example of
docs/hpc.md: experiments/sweeps/hpc_example.toml, into a folder whose name has a
space, a quote, ``#`` and ``%``.
"""

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import hpc_tools
from diffusion_sim.cli import main
from diffusion_sim.hpc import write_slurm_scripts
from diffusion_sim.sweep import run_sweep
from hpc_tools import REQUIRED

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "sweeps" / "hpc_example.toml"


def need(tool: str) -> str:
    return hpc_tools.need(tool, "start Slurm / pip install 'diffusion-sim[mpi]'")


def need_slurm() -> None:
    """sbatch on the PATH and a controller that answers."""
    need("sbatch")
    res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                         timeout=60)
    if res.returncode != 0 or not res.stdout.strip():
        msg = f"Slurm installed but no controller answers (sinfo: {res.stderr.strip()[:200]})"
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    run_sweep(SPEC, out, workers=1)
    return (out / "runs.csv").read_bytes()


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "diffusion_sim", *args], capture_output=True,
                          text=True, timeout=600, **kw)


def sbatch(*args) -> str:
    res = subprocess.run([need("sbatch"), "--parsable", *args], capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0 or "--wait" in args, res.stderr
    return res.stdout.strip().split(";")[0]


#: An output folder that breaks unquoted scripts: a space, a quote, sbatch's comment
#: sign and Slurm's file-name pattern sign.
AWKWARD = "out dir's #1 50%"


def sbatch_words(text: str) -> list[str]:
    """The arguments sbatch reads from the rest of an ``#SBATCH`` line: Slurm's
    ``_get_argument`` (src/sbatch/opt.c): blanks separate, '...' and "..." quote, a
    backslash escapes the next character, an unescaped ``#`` ends the line."""
    words, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return words
        arg, quote, escaped = "", "", False
        while i < len(text) and (quote or not text[i].isspace()):
            c = text[i]
            i += 1
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
                continue
            elif quote:
                if c == quote:
                    quote = ""
                    continue
            elif c in "\"'":
                quote = c
                continue
            elif c == "#":
                return [*words, arg] if arg else words
            arg += c
        assert not quote, f"unmatched quote in {text!r}"
        words.append(arg)


def sbatch_options(script: Path) -> dict[str, str]:
    """``{option: value}`` of a script's ``#SBATCH`` lines, as sbatch reads them."""
    opts = {}
    for line in script.read_text().splitlines():
        if line.startswith("#SBATCH"):
            words = sbatch_words(line[len("#SBATCH"):])
            assert len(words) == 1, (line, words)
            name, _, value = words[0].partition("=")
            opts[name] = value
    return opts


@pytest.mark.parametrize("name", [AWKWARD, 'say "hi"', "plain"])
def test_every_path_is_quoted_for_bash_and_sbatch(tmp_path, name):
    out, scripts = tmp_path / name, tmp_path / f"scripts {name}"
    array, merge, howto = write_slurm_scripts(SPEC, tasks=3, out=out, script_dir=scripts,
                                              python=str(tmp_path / "my python" / "py"))
    submit = scripts / "submit.sh"
    for script in (array, merge, submit):
        subprocess.run(["bash", "-n", str(script)], check=True)
    logs = str(out / "logs").replace("%", "%%")
    assert sbatch_options(array)["--output"] == f"{logs}/%x-%A_%a.out"
    assert sbatch_options(merge)["--output"] == f"{logs}/%x-%j.out"
    assert sbatch_options(array)["--array"] == "0-2"
    command = shlex.split(array.read_text().splitlines()[-1])
    assert command[:4] == [str(tmp_path / "my python" / "py"), "-m", "diffusion_sim", "sweep"]
    assert command[4] == str(SPEC) and command[command.index("--out") + 1] == str(out)
    assert shlex.split(merge.read_text().splitlines()[-1])[-1] == str(out)
    lines = howto.splitlines()
    assert shlex.split(lines[1].split(":", 1)[1]) == ["bash", str(submit)]
    assert shlex.split(lines[3].split(":", 1)[1].split("then:")[1]) == [
        "diffusion-sim", "merge", str(out)]


def test_submit_sh_passes_the_paths_intact(tmp_path):
    """submit.sh against a stand-in sbatch that records its arguments."""
    out = tmp_path / AWKWARD
    array, merge, _ = write_slurm_scripts(SPEC, tasks=2, out=out)
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "calls"
    (fake / "sbatch").write_text(f"#!/bin/bash\nprintf '%s\\n' \"$@\" --- >> {shlex.quote(str(log))}"
                                 "\necho '4242;cluster'\n")
    (fake / "sbatch").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    subprocess.run(["bash", str(out / "submit.sh")], check=True, env=env, timeout=30)
    calls = log.read_text().split("---\n")
    assert calls[0].splitlines() == ["--parsable", str(array)]
    assert calls[1].splitlines() == ["--dependency=afterok:4242", str(merge)]


def test_account_job_name_and_extra_sbatch_lines(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["slurm", str(SPEC), "--tasks", "2", "--out", str(out), "--account",
                 "proj 7", "--job-name", "mine", "--partition", "short,long", "--time",
                 "2-00:30", "--mem", "500M", "--sbatch-option", "--qos=short",
                 "--sbatch-option", "--constraint=a&b #x", "--sbatch-option",
                 "--exclusive"]) == 0
    array = sbatch_options(out / "sweep-array.sbatch")
    merge = sbatch_options(out / "sweep-merge.sbatch")
    for opts in (array, merge):
        assert opts["--account"] == "proj 7" and opts["--partition"] == "short,long"
        assert opts["--qos"] == "short" and opts["--constraint"] == "a&b #x"
        assert opts["--exclusive"] == "" and opts["--mem"] == "500M"
    assert array["--job-name"] == "mine" and merge["--job-name"] == "mine-merge"
    assert array["--time"] == "2-00:30" and merge["--time"] == "00:30:00"
    printed = capsys.readouterr().out
    assert shlex.split(printed.splitlines()[1].split(":", 1)[1]) == [
        "bash", str(out / "submit.sh")]


@pytest.mark.parametrize("time", ["30", "30:00", "01:00:00", "2-00", "2-00:30",
                                  "2-00:30:00", "UNLIMITED", "100:00:00"])
def test_slurm_time_formats_are_accepted(tmp_path, time):
    assert main(["slurm", str(SPEC), "--tasks", "1", "--out", str(tmp_path / "o"),
                 "--time", time]) == 0
    assert sbatch_options(tmp_path / "o" / "sweep-array.sbatch")["--time"] == time


BAD = [
    (["--time", "1 hour"], "--time: '1 hour' is not a Slurm time"),
    (["--time", "01:75:00"], "--time: '01:75:00' is not a Slurm time"),
    (["--time", "01:00:00\n#SBATCH --mem=1T"], "--time: '01:00:00\\n#SBATCH --mem=1T' is "
     "empty or holds a newline"),
    (["--mem", "2GB"], "--mem: '2GB' is not a Slurm memory size"),
    (["--mem=-1G"], "--mem: '-1G' is not a Slurm memory size"),
    (["--partition", "a\nb"], "--partition: 'a\\nb' is empty or holds a newline"),
    (["--account", "x\ty"], "--account: 'x\\ty' is empty or holds a newline"),
    (["--job-name", "j\rk"], "--job-name: 'j\\rk' is empty or holds a newline"),
    (["--sbatch-option", "--time=5"], "--sbatch-option: '--time=5': --time is set by the "
     "scripts; use --time"),
    (["--sbatch-option", "--array=1-3"], "--sbatch-option: '--array=1-3': --array is set by"),
    (["--sbatch-option", "qos=short"], "--sbatch-option: 'qos=short' is not of the form"),
    (["--sbatch-option", "-q short"], "--sbatch-option: '-q short' is not of the form"),
    (["--sbatch-option", "--qos=a\nb"], "--sbatch-option: '--qos=a\\nb' is empty or holds"),
    (["--tasks", "0"], "slurm: argument --tasks: must be at least 1"),
]


@pytest.mark.parametrize("extra, expect", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_slurm_values_are_one_line_and_write_nothing(tmp_path, capsys, extra, expect):
    out = tmp_path / "o"
    argv = ["slurm", str(SPEC), "--out", str(out), *extra]
    if "--tasks" not in extra:
        argv += ["--tasks", "2"]
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("diffusion-sim: error: "), err
    assert err[len("diffusion-sim: error: "):].startswith(expect), err
    assert not out.exists()


def test_a_path_with_a_newline_is_refused(tmp_path, capsys):
    assert main(["slurm", str(SPEC), "--tasks", "1", "--out", str(tmp_path / "a\nb")]) == 2
    assert "holds a newline, control character or backslash" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_scripts_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        array, merge, _ = write_slurm_scripts(SPEC, tasks=1, out=tmp_path / "o")
    finally:
        os.umask(old)
    assert stat.S_IMODE(array.stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(merge.stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "o" / "submit.sh").stat().st_mode) == 0o777 & ~mask


@pytest.mark.hpc
def test_slurm_array_of_4_tasks_merged_equals_serial(tmp_path, serial):
    need_slurm()
    out = tmp_path / AWKWARD
    res = cli("slurm", str(SPEC), "--tasks", "4", "--out", str(out), "--time", "00:10:00",
              "--mem", "1G")
    assert res.returncode == 0, res.stderr
    array, merge_job = out / "sweep-array.sbatch", out / "sweep-merge.sbatch"
    assert "#SBATCH --array=0-3" in array.read_text()
    # exactly what submit.sh does, waiting for the merge job to end
    jid = sbatch(str(array))
    subprocess.run([need("sbatch"), "--wait", f"--dependency=afterok:{jid}", str(merge_job)],
                   check=True, capture_output=True, timeout=900)
    assert sorted(p.name for p in out.glob("manifest-shard-*")) == [
        f"manifest-shard-{i}-of-4.json" for i in range(4)]
    assert (out / "runs.csv").read_bytes() == serial
    # the logs are where --output says, under the awkward name ('%%' is one '%')
    assert len(list((out / "logs").glob("ds-hpc_example-*_*.out"))) == 4


@pytest.mark.hpc
def test_failed_task_is_named_by_merge_and_rerun_alone(tmp_path, serial):
    need_slurm()
    out = tmp_path / "out"
    assert cli("slurm", str(SPEC), "--tasks", "4", "--out", str(out)).returncode == 0
    # make task 2 fail: its first chunk (chunk 2) cannot be written
    blocker = out / "chunks" / "runs-000002.csv"
    blocker.mkdir(parents=True)
    res = subprocess.run([need("sbatch"), "--wait", str(out / "sweep-array.sbatch")],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode != 0  # the array's exit status is its worst task's
    blocker.rmdir()
    merged = cli("merge", str(out))
    assert merged.returncode == 2
    err = merged.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    # shard 2/4 owns chunk 2 only (24 runs, 4 per chunk: chunks 0-5, interleaved)
    assert "4 of 24 runs missing (chunks 2)" in err
    assert "point 2 replicates 0-3" in err and "--shard 2/4" in err
    log = next((out / "logs").glob("*_2.out")).read_text()
    assert "diffusion-sim: error:" in log and "Traceback" not in log
    subprocess.run([need("sbatch"), "--wait", "--array=2", str(out / "sweep-array.sbatch")],
                   check=True, capture_output=True, timeout=900)
    assert cli("merge", str(out)).returncode == 0
    assert (out / "runs.csv").read_bytes() == serial


@pytest.mark.hpc
def test_mpi_with_3_ranks_equals_serial(tmp_path, serial):
    mpiexec = need("mpiexec")
    out = tmp_path / "out"
    res = subprocess.run([mpiexec, "-n", "3", sys.executable, "-m", "mpi4py.futures", "-m",
                          "diffusion_sim", "sweep", str(SPEC), "--executor", "mpi", "--out",
                          str(out)], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (out / "runs.csv").read_bytes() == serial
    timing = list((out / "chunks").glob("timing-*.csv"))
    assert len(timing) == 6
