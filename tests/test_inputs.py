"""Every bad input: one line, exit status 2, before any simulation runs.

One table (:data:`CASES`): each row is a command line and the files it reads, and the
first words of the one line it must print. Every row asserts exit status 2, exactly
one line on standard error starting with ``diffusion-sim: error:``, no traceback and,
where a command would write one, no output folder. Most rows run the CLI in this
process (:func:`diffusion_sim.cli.main`); the rows marked ``sub`` run it as a
subprocess. Then: figures print any scenario name literally, Slurm array variables
pick the right shard, and hypothesis feeds mutated TOML and CSV files to ``validate``,
which must accept them or refuse them in one line, never with a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffusion_sim import cli, store
from diffusion_sim.capacity import (
    available_memory,
    need_of,
    parse_size,
    preflight,
    processes_bytes,
    replicate_bytes,
)
from diffusion_sim.errors import ResourceError, ScenarioError
from diffusion_sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
EXP = ROOT / "experiments"
PREFIX = "diffusion-sim: error: "

SMALL = 'name = "small"\nsteps = 3\n[population]\nsize = 200\n'
COMPARISON = ('[comparison]\nbaseline = "small.toml"\nreps = 2\n'
              '[scenarios.b]\noverrides = { "transmission.reshare_prob" = 0.2 }\n')
SPEC = ('[sweep]\nname = "tiny"\nbase = "small.toml"\nreplications = 2\nchunk_size = 1\n'
        '[parameters]\n"transmission.reshare_prob" = { levels = [0.0, 0.1] }\n')
EDGES = "source,target,strength\na,b,strong\nb,c,0.2\nc,c,1\na,b,weak\nc,d,0.9\n"
NODES = "id,group\na,1\nb,2\nc,3\nd,5\n"

#: a progress line in a log (diffusion_sim.progress.LogLines)
PROGRESS = re.compile(r".*: \d+/\d+ runs \(\d+ %.*\)( done)?")


def edge_scenario(edges: str = "edges.csv", nodes: str = "") -> str:
    extra = f'[population]\nnodes_file = "{nodes}"\n' if nodes else ""
    return (f'name = "net"\nsteps = 3\n{extra}[network]\nkind = "edgelist"\n'
            f'edges_file = "{edges}"\n')


def with_line(text: str, line: str, table: str = "[comparison]") -> str:
    return text.replace(table + "\n", f"{table}\n{line}\n", 1)


@dataclass
class Case:
    """One bad input: ``argv`` ({d} = the case's folder, {exp} = experiments/), the files
    to write first, the expected start of the message (after ``diffusion-sim: error:``,
    {d} substituted), and the output folder that must not appear."""

    id: str
    argv: str | list[str]  # a string is split at spaces
    expect: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    no_out: str | None = "{d}/out"
    sub: bool = False  # run as a subprocess
    ran: bool = False  # fails only after the runs (a disk that fills): progress lines too
    fixture: str | None = None  # a pytest fixture that prepares more


BASE_FILES = {"small.toml": SMALL, "comparison.toml": COMPARISON, "spec.toml": SPEC,
              "edges.csv": EDGES, "nodes.csv": NODES, "afile": "not a folder\n"}
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"

CASES = [
    # --- binary / non-UTF-8 files of every kind ---------------------------------------
    Case("binary scenario: validate", "validate {d}/bin.toml",
         "{d}/bin.toml:1: not UTF-8 text", {"bin.toml": BINARY}, no_out=None),
    Case("binary scenario: run", "run {d}/bin.toml --out {d}/out",
         "{d}/bin.toml:1: not UTF-8 text", {"bin.toml": BINARY}, sub=True),
    Case("binary comparison", "compare {d}/bin.toml --out {d}/out",
         "{d}/bin.toml:1: not UTF-8 text", {"bin.toml": BINARY}),
    Case("binary sweep spec", "sweep {d}/bin.toml --out {d}/out",
         "{d}/bin.toml:1: not UTF-8 text", {"bin.toml": BINARY}),
    Case("latin-1 scenario, line 3", "validate {d}/l1.toml",
         "{d}/l1.toml:3: not UTF-8 text",
         {"l1.toml": 'name = "x"\nsteps = 3\ndescription = "caf\xe9"\n'.encode("latin-1")},
         no_out=None),
    Case("binary edge list: validate", "validate {d}/net.toml",
         "{d}/bin.csv:1: not UTF-8 text",
         {"net.toml": edge_scenario("bin.csv"), "bin.csv": BINARY}, no_out=None),
    Case("gzipped edge list: run", "run {d}/net.toml --out {d}/out --workers 1",
         "{d}/gz.csv:1: not UTF-8 text",
         {"net.toml": edge_scenario("gz.csv"), "gz.csv": gzip.compress(EDGES.encode() * 50)}),
    Case("edge list with a latin-1 id on line 3", "run {d}/net.toml --out {d}/out",
         "{d}/l1.csv:3: not UTF-8 text",
         {"net.toml": edge_scenario("l1.csv"), "l1.csv": "a,b\nb,c\nc,d\xe9\n".encode("latin-1")}),
    Case("binary node file: validate", "validate {d}/net.toml",
         "{d}/bin.csv:2: not UTF-8 text",
         {"net.toml": edge_scenario(nodes="bin.csv"), "bin.csv": b"id,group\n\xff\xfe,1\n"},
         no_out=None),
    Case("binary node file: sweep writes nothing", "sweep {d}/spec2.toml --out {d}/out",
         "{d}/bin.csv:2: not UTF-8 text",
         {"n.toml": SMALL + 'nodes_file = "bin.csv"\n', "bin.csv": b"id,group\n\xff,1\n",
          "spec2.toml": SPEC.replace("small.toml", "n.toml")}),
    Case("node file with a 200 KB field", "validate {d}/net.toml",
         "{d}/big.csv:2: field larger than field limit",
         {"net.toml": edge_scenario(nodes="big.csv"), "big.csv": f"id,group\n{'x' * 200_000},1\n"},
         no_out=None),
    # --- data files named by a scenario: exist and parse (validate reads them) ----------
    Case("missing edge list: validate", "validate {d}/net.toml",
         "{d}/nope.csv: no such file", {"net.toml": edge_scenario("nope.csv")},
         no_out=None),
    Case("edge list is a folder", "validate {d}/net.toml", "{d}/sub: is a folder, not an edge list",
         {"net.toml": edge_scenario("sub"), "sub/keep": ""}, no_out=None),
    # --- devices and pipes would be read for ever; a huge settings file is a mistake ----
    Case("edge list /dev/zero: run", "run {d}/net.toml --out {d}/out",
         "/dev/zero: is a device, pipe or socket, not an edge list",
         {"net.toml": edge_scenario("/dev/zero")}, sub=True),
    Case("edge list a named pipe: sweep", "sweep {d}/spec2.toml --out {d}/out",
         "{d}/pipe.csv: is a device, pipe or socket, not an edge list",
         {"net.toml": edge_scenario("pipe.csv"),
          "spec2.toml": SPEC.replace("small.toml", "net.toml")}, fixture="pipe", sub=True),
    Case("node file a named pipe: validate", "validate {d}/net.toml",
         "{d}/pipe.csv: is a device, pipe or socket, not a node file",
         {"net.toml": edge_scenario(nodes="pipe.csv")}, no_out=None, fixture="pipe", sub=True),
    Case("scenario /dev/zero", "validate /dev/zero",
         "/dev/zero: is a device, pipe or socket, not a TOML file", no_out=None, sub=True),
    Case("a 17 MiB scenario", "run {d}/big.toml --out {d}/out",
         "{d}/big.toml: 17 MiB is too large for a TOML file (at most 16 MiB)",
         {"big.toml": SMALL + "#" * (17 * 2**20) + "\n"}),
    Case("bad strength on line 3", "validate {d}/net.toml",
         "{d}/bad.csv:3: strength 'maybe' is not",
         {"net.toml": edge_scenario("bad.csv"), "bad.csv": "a,b,1\nb,c,1\nc,d,maybe\n"},
         no_out=None),
    Case("node file with only its header", "validate {d}/n.toml",
         "{d}/hdr.csv: no people: the file has only its header",
         {"n.toml": SMALL + 'nodes_file = "hdr.csv"\n', "hdr.csv": "id,group\n"},
         no_out=None),
    Case("semicolon-separated edge list", "validate {d}/net.toml",
         "{d}/semi.csv:1: expected source,target (2 fields), got 1 fields (fields are "
         "separated by commas; this line has semicolons)",
         {"net.toml": edge_scenario("semi.csv"), "semi.csv": "a;b\nb;c\n"}, no_out=None),
    Case("tab-separated node file", "validate {d}/n.toml",
         "{d}/tabs.csv:1: missing column 'id' (header: id\\tgroup); columns are separated by "
         "commas, this header has tabs",
         {"n.toml": SMALL + 'nodes_file = "tabs.csv"\n', "tabs.csv": "id\tgroup\na\t1\n"},
         no_out=None),
    Case("node file group out of range", "run {d}/net.toml --out {d}/out",
         "{d}/nodes6.csv:3: group '6' is not an integer from 1 to 5",
         {"net.toml": edge_scenario(nodes="nodes6.csv"), "nodes6.csv": "id,group\na,1\nb,6\n"}),
    Case("comparison scenario with a missing edge list", "compare {d}/c2.toml --out {d}/out",
         "{d}/nope.csv: no such file",
         {"net.toml": edge_scenario("nope.csv"),
          "c2.toml": '[comparison]\nbaseline = "small.toml"\n[scenarios.n]\nfile = "net.toml"\n'}),
    # --- comparisons whose measures cannot be set against each other --------------------
    Case("compare scenarios with other horizons", "compare {d}/small.toml {d}/long.toml "
         "--out {d}/out", "cannot compare 'long' (9 weeks) with the baseline 'small' "
         "(3 weeks): every measure is read at the last week",
         {"long.toml": SMALL.replace('"small"', '"long"').replace("steps = 3", "steps = 9")}),
    Case("validate a comparison with another number of groups", "validate {d}/c.toml",
         "{d}/c.toml: cannot compare 'b' (2 groups) with the baseline 'small' (5 groups)",
         {"c.toml": COMPARISON.replace('"transmission.reshare_prob" = 0.2',
                                       '"population.group_shares" = [0.5, 0.5]')},
         no_out=None),
    # --- comparison files: values of the wrong type, checked when read ---------------
    Case("comparison reps = 'ten'", "compare {d}/c.toml --out {d}/out",
         "{d}/c.toml: comparison.reps: must be an integer, got 'ten'",
         {"c.toml": with_line(COMPARISON.replace("reps = 2\n", ""), 'reps = "ten"')}),
    Case("comparison baseline = 5", "compare {d}/c.toml", "{d}/c.toml: comparison.baseline: "
         "must be a file name, got 5", {"c.toml": COMPARISON.replace('"small.toml"', "5")}),
    Case("comparison seed = -1", "validate {d}/c.toml",
         "{d}/c.toml: comparison.seed: -1 is out of range",
         {"c.toml": with_line(COMPARISON, "seed = -1")}, no_out=None),
    Case("comparison reps = 2.5", "compare {d}/c.toml",
         "{d}/c.toml: comparison.reps: must be an integer, got 2.5",
         {"c.toml": COMPARISON.replace("reps = 2", "reps = 2.5")}),
    Case("comparison ci_width = nan", "compare {d}/c.toml",
         "{d}/c.toml: comparison.ci_width: must be a positive number, got nan",
         {"c.toml": with_line(COMPARISON, "ci_width = nan")}),
    Case("comparison = 3", "compare {d}/c.toml", "{d}/c.toml: comparison: must be a table",
         {"c.toml": "comparison = 3\n"}),
    Case("comparison scenarios = 'x'", "compare {d}/c.toml",
         "{d}/c.toml: scenarios: must be a table",
         {"c.toml": 'scenarios = "x"\n[comparison]\nbaseline = "small.toml"\n'}),
    Case("comparison scenario overrides = 5", "compare {d}/c.toml",
         "{d}/c.toml: scenarios.b.overrides: must be a table",
         {"c.toml": COMPARISON.replace('overrides = { "transmission.reshare_prob" = 0.2 }',
                                       "overrides = 5")}),
    # --- sweep specs: keys that must be tables --------------------------------------
    Case("spec parameters = 3", "sweep {d}/s.toml --out {d}/out",
         "{d}/s.toml: parameters: must be a table, got 3",
         {"s.toml": "parameters = 3\n" + SPEC.split("[parameters]")[0]}),
    Case("spec sweep = 'x'", "sweep {d}/s.toml --out {d}/out",
         "{d}/s.toml: sweep: must be a table, got 'x'", {"s.toml": 'sweep = "x"\n'}),
    Case("spec overrides = []", "validate {d}/s.toml", "{d}/s.toml: overrides: must be a table",
         {"s.toml": "overrides = []\n" + SPEC}, no_out=None),
    Case("spec replications = 'two'", "sweep {d}/s.toml",
         "{d}/s.toml: sweep.replications: must be an integer, got 'two'",
         {"s.toml": SPEC.replace("replications = 2", 'replications = "two"')}),
    Case("spec lhs samples = 10^8 (would hang expanding)", "validate {d}/s.toml",
         "{d}/s.toml: sweep: the lhs design has 100,000,000 points, more than 1,000,000",
         {"s.toml": SPEC.replace("chunk_size = 1", 'design = "lhs"\nsamples = 100_000_000')
          .replace("levels = [0.0, 0.1]", "range = [0.0, 0.1]")}, no_out=None),
    Case("spec replications = 10^9 (10^9 chunk files)", "validate {d}/s.toml",
         "{d}/s.toml: sweep.replications: 2,000,000,000 runs, more than 100,000,000 in one "
         "sweep", {"s.toml": SPEC.replace("replications = 2", "replications = 1_000_000_000")},
         no_out=None),
    Case("spec with 10^8 chunk files", "sweep {d}/s.toml --out {d}/out",
         "{d}/s.toml: sweep.chunk_size: 100,000,000 runs in chunks of 1 make 100,000,000 "
         "chunk files, more than 1,000,000; use chunk_size >= 100",
         {"s.toml": SPEC.replace("replications = 2", "replications = 50_000_000")}),
    Case("spec levels = [0.0, 0.1, 0.0]", "sweep {d}/s.toml --out {d}/out",
         "{d}/s.toml: parameters.transmission.reshare_prob.levels: 0.0 is there twice",
         {"s.toml": SPEC.replace("levels = [0.0, 0.1]", "levels = [0.0, 0.1, 0.0]")}),
    Case("spec oat n = 10^9", "sweep {d}/s.toml --out {d}/out",
         "{d}/s.toml: sweep: the oat design has 1,000,000,001 points",
         {"s.toml": SPEC.replace("chunk_size = 1", 'design = "oat"')
          .replace("levels = [0.0, 0.1]", "range = [0.0, 0.1], n = 1_000_000_000")}),
    # --- command-line values ----------------------------------------------------------
    Case("--seed -1", "run {d}/small.toml --seed -1 --out {d}/out",
         "run: argument --seed: must be at least 0, got -1", sub=True),
    Case("--seed abc (compare)", "compare {d}/comparison.toml --seed abc --out {d}/out",
         "compare: argument --seed: 'abc' is not an integer"),
    Case("--workers -1", "sweep {d}/spec.toml --workers -1 --out {d}/out",
         "sweep: argument --workers: must be at least 1, got -1"),
    Case("--workers 0", "run {d}/small.toml --workers 0 --out {d}/out",
         "run: argument --workers: must be at least 1, got 0"),
    Case("--reps 0", "run {d}/small.toml --reps 0 --out {d}/out",
         "run: argument --reps: must be at least 1, got 0"),
    Case("--ci-width inf", "compare {d}/comparison.toml --ci-width inf --out {d}/out",
         "--ci-width: must be a positive number or a percentage like '10%', got 'inf'"),
    Case("--ci-width with a measure twice", "compare {d}/comparison.toml --ci-width "
         "engaged_final=5%,engaged_final=3% --out {d}/out",
         "--ci-width: engaged_final: given twice; give one width per measure"),
    Case("--shard 4/4", "sweep {d}/spec.toml --shard 4/4 --out {d}/out",
         "--shard: need 0 <= I < N, got '4/4'"),
    Case("--max-memory lots", "run {d}/small.toml --max-memory lots --out {d}/out",
         "run: argument --max-memory: 'lots' is not a size"),
    Case("a path with a newline stays one line", ["validate", "{d}/a\nb.toml"],
         "{d}/a\\nb.toml: no such file", no_out=None),
    # --- output folders that cannot be created or written ----------------------------
    Case("run --out under a file", "run {d}/small.toml --out {d}/afile/out",
         "{d}/afile: exists and is not a folder", no_out="{d}/afile/out"),
    Case("compare --out is a file", "compare {d}/comparison.toml --out {d}/afile",
         "{d}/afile: exists and is not a folder", no_out=None),
    Case("sweep --out under a file", "sweep {d}/spec.toml --out {d}/afile/out",
         "{d}/afile/out: a parent of it is a file", no_out=None),
    Case("merge a file", "merge {d}/afile/out", "{d}/afile/out: no manifest.json",
         no_out=None),
    Case("run --out read-only", "run {d}/small.toml --out {d}/ro/out",
         "{d}/ro: cannot write", no_out="{d}/ro/out", fixture="readonly"),
    Case("compare --out read-only", "compare {d}/comparison.toml --out {d}/ro/out",
         "{d}/ro: cannot write", no_out="{d}/ro/out", fixture="readonly"),
    Case("sweep --out read-only", "sweep {d}/spec.toml --out {d}/ro/out",
         "{d}/ro/out: cannot write", no_out="{d}/ro/out", fixture="readonly"),
    Case("merge a read-only sweep folder", "merge {d}/ro", "{d}/ro/.lock: cannot write",
         no_out=None, fixture="readonly_sweep"),
    Case("run --out a sweep's folder", "run {d}/small.toml --out {d}/sw",
         "{d}/sw: holds the results of 'sweep', which 'run' would delete; choose another "
         "--out folder", no_out=None, fixture="sweep_folder"),
    Case("compare --out a sweep's folder", "compare {d}/comparison.toml --out {d}/sw",
         "{d}/sw: holds the results of 'sweep', which 'compare' would delete",
         no_out=None, fixture="sweep_folder"),
    Case("sweep --out a run's folder", "sweep {d}/spec.toml --out {d}/r",
         "{d}/r: holds the results of 'run', not a sweep", no_out=None, fixture="run_folder"),
    Case("merge a run's folder", "merge {d}/r", "{d}/r: holds the results of 'run', not a "
         "sweep", no_out=None, fixture="run_folder"),
    Case("run on a full disk", "run {d}/small.toml --out {d}/full/out",
         "{d}/full/out: only", no_out="{d}/full/out", fixture="full_disk"),
    Case("sweep on a full disk", "sweep {d}/spec.toml --out {d}/full/out",
         "{d}/full/out: only", no_out="{d}/full/out", fixture="full_disk"),
    Case("run: disk full while writing (ENOSPC)", "run {d}/small.toml --out {d}/out "
         "--workers 1 --reps 2", "{d}/out/runs.csv: cannot write", fixture="enospc", ran=True),
    Case("compare: disk full while writing", "compare {d}/comparison.toml --out {d}/out "
         "--workers 1", "{d}/out/summary.csv: cannot write", fixture="enospc", ran=True),
    Case("sweep: disk full writing its manifest", "sweep {d}/spec.toml --out {d}/out2 "
         "--workers 1", "{d}/out2/manifest.json: cannot write: No space left", no_out=None,
         fixture="enospc"),
    Case("merge: disk full writing the tables", "merge {d}/sw",
         "{d}/sw/.runs.csv.merging: cannot write: No space left", no_out=None,
         fixture="enospc_merge"),
    # --- analyses of a sweep with a categorical parameter -----------------------------
    Case("discover: a parameter with text levels", "discover {d}/cat --where "
         "engaged_final>0.1", "{d}/cat: intervention.seeding has text levels "
         "(highest_degree, random), which this analysis cannot order",
         no_out="{d}/cat/discovery-engaged_final_gt_0.1", fixture="categorical_sweep"),
    Case("sensitivity: a parameter with text levels", "sensitivity {d}/cat",
         "{d}/cat: intervention.seeding has text levels", no_out="{d}/cat/sensitivity-delta",
         fixture="categorical_sweep"),
    # --- memory: refused before anything is built -----------------------------------
    Case("10^9 people", "run {d}/huge.toml --out {d}/out",
         "huge (1,000,000,000 people, 10,000,000,000 directed ties",
         {"huge.toml": 'name = "huge"\n[population]\nsize = 1_000_000_000\n'}, sub=True),
    Case("a comparison scenario too big", "compare {d}/c.toml --out {d}/out",
         "big (100,000,000 people, 2,000,000,000 directed ties",
         {"c.toml": COMPARISON.replace('[scenarios.b]\noverrides = {',
                                       '[scenarios.big]\noverrides = { "population.size" = '
                                       '100_000_000, "network.mean_degree" = 20.0, ')}),
    Case("the largest sweep point is too big", "sweep {d}/s.toml --out {d}/out",
         "small (100,000,000 people",
         {"s.toml": SPEC.replace('"transmission.reshare_prob" = { levels = [0.0, 0.1] }',
                                 '"population.size" = { levels = [100, 100_000_000] }')}),
    Case("run --reps 10^20: the results could never be held", "run {d}/small.toml --reps "
         "100000000000000000000 --out {d}/out", "small (200 people, 2,000 directed ties: "
         "48.1 MiB per replicate, 2 at once in worker processes, and 3.53e+12 TiB to hold "
         "the results of 100,000,000,000,000,000,000 replicates until they are written)",
         sub=True),
    Case("compare --reps 10^8", "compare {d}/comparison.toml --reps 100000000 --out {d}/out",
         "small (200 people", env={"DIFFUSION_SIM_MAX_MEMORY": "64G"}),
    Case("--max-memory 50M for 2 workers", "run {d}/small.toml --workers 2 --max-memory 50M "
         "--out {d}/out", "small (200 people, 2,000 directed ties: 48.1 MiB per replicate, "
         "2 at once in worker processes) needs about 276 MiB of memory but 50 MiB is "
         "available (--max-memory)"),
    Case("DIFFUSION_SIM_MAX_MEMORY=100K", "sweep {d}/spec.toml --out {d}/out --workers 1",
         "small (200 people", env={"DIFFUSION_SIM_MAX_MEMORY": "100K"}),
    Case("DIFFUSION_SIM_MAX_MEMORY=plenty", "compare {d}/comparison.toml --out {d}/out",
         "DIFFUSION_SIM_MAX_MEMORY: 'plenty' is not a size",
         env={"DIFFUSION_SIM_MAX_MEMORY": "plenty"}),
    Case("--max-memory wins over the environment", "run {d}/small.toml --workers 1 "
         "--max-memory 100K --out {d}/out", "small (200 people",
         env={"DIFFUSION_SIM_MAX_MEMORY": "100G"}),
    # --- Slurm array variables and MPI ---------------------------------------------
    Case("SLURM_ARRAY_TASK_ID without a count", "sweep {d}/spec.toml --out {d}/out",
         "SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT",
         env={"SLURM_ARRAY_TASK_ID": "1"}),
    Case("a sparse array (--array=1,5,9)", "sweep {d}/spec.toml --out {d}/out",
         "cannot derive a shard from SLURM_ARRAY_TASK_ID=5",
         env={"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1",
              "SLURM_ARRAY_TASK_MAX": "9", "SLURM_ARRAY_TASK_COUNT": "3"}),
    Case("SLURM_ARRAY_TASK_ID not a number", "sweep {d}/spec.toml --out {d}/out",
         "SLURM_ARRAY_TASK_* variables are not integers",
         env={"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"}),
    Case("--executor mpi without mpiexec", "sweep {d}/spec.toml --executor mpi --out {d}/out",
         "--executor mpi", sub=True),
]


def test_a_reader_that_stops_early_gets_no_traceback():
    """``diffusion-sim describe | head -1``: the pipe closes before the output ends."""
    proc = subprocess.Popen([sys.executable, "-m", "diffusion_sim", "describe"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader has gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == ""


# ------------------------------------------------------------------ fixtures
@contextlib.contextmanager
def mounted(where: Path, options: str):
    """A tmpfs at ``where`` (root only); skips the test when it cannot be mounted."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {res.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def make_readonly(folder: Path, stack: contextlib.ExitStack, fill=None) -> None:
    """``folder`` (filled by ``fill``) unwritable even by root: a read-only tmpfs as
    root, else permissions 555."""
    if os.geteuid() == 0:
        stack.enter_context(mounted(folder, "size=4m"))
        if fill:
            fill(folder)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        folder.mkdir(exist_ok=True)
        if fill:
            fill(folder)
        for p in [folder, *folder.rglob("*")]:
            if p.is_dir():
                p.chmod(0o555)
        stack.callback(lambda: [p.chmod(0o755) for p in [folder, *folder.rglob("*")]
                                if p.is_dir()])


def tiny_sweep(folder: Path) -> None:
    assert cli.main(["sweep", str(folder.parent / "spec.toml"), "--out", str(folder),
                     "--workers", "1"]) == 0


def no_space(*args, **kw):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def prepare(name: str | None, d: Path, monkeypatch, stack: contextlib.ExitStack) -> None:
    if name == "readonly":
        make_readonly(d / "ro", stack)
    elif name == "readonly_sweep":
        make_readonly(d / "ro", stack, fill=tiny_sweep)
    elif name == "full_disk":
        full = stack.enter_context(mounted(d / "full", "size=256k"))
        with open(full / "filler", "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * (1 << 20))  # fill it up
    elif name == "sweep_folder":
        tiny_sweep(d / "sw")
    elif name == "run_folder":
        assert cli.main(["run", str(d / "small.toml"), "--reps", "1", "--workers", "1",
                         "--out", str(d / "r")]) == 0
    elif name == "categorical_sweep":
        spec = d / "cat.toml"
        spec.write_text(SPEC.replace('"transmission.reshare_prob" = { levels = [0.0, 0.1] }',
                                     '"intervention.seeding" = { levels = ["random", '
                                     '"highest_degree"] }\n"transmission.reshare_prob" = '
                                     '{ levels = [0.0, 0.1] }'))
        assert cli.main(["sweep", str(spec), "--out", str(d / "cat"), "--workers", "1"]) == 0
    elif name == "pipe":
        os.mkfifo(d / "pipe.csv")
    elif name == "enospc":
        monkeypatch.setattr(store.os, "fsync", no_space)
    elif name == "enospc_merge":
        tiny_sweep(d / "sw")
        (d / "sw" / "runs.csv").write_text("earlier results\n")
        monkeypatch.setattr(store.os, "fsync", no_space)


def run_cli(argv: list[str], env: dict[str, str], sub: bool, capsys, monkeypatch):
    """(exit status, stdout, stderr) of the CLI, in this process or a subprocess."""
    if sub:
        res = subprocess.run([sys.executable, "-m", "diffusion_sim", *argv],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, **env})
        return res.returncode, res.stdout, res.stderr
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    try:
        rc = cli.main(argv)
    except SystemExit as exc:  # argparse
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    d = tmp_path
    for name, content in {**BASE_FILES, **case.files}.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    for k in [k for k in os.environ if k.startswith("SLURM_ARRAY")] + [
            "DIFFUSION_SIM_MAX_MEMORY"]:
        monkeypatch.delenv(k, raising=False)
    with contextlib.ExitStack() as stack:
        prepare(case.fixture, d, monkeypatch, stack)
        capsys.readouterr()
        words = case.argv.split(" ") if isinstance(case.argv, str) else case.argv
        argv = [a.replace("{d}", str(d)) for a in words]
        rc, out, err = run_cli(argv, case.env, case.sub, capsys, monkeypatch)
        assert rc == 2, (rc, out, err)
        assert "Traceback" not in err
        lines = err.splitlines()
        if case.ran:
            lines = [x for x in lines if not PROGRESS.fullmatch(x)]
            assert "cannot write: No space left on device" in lines[-1]
        assert len(lines) == 1, err
        assert lines[0].startswith(PREFIX), err
        expect = case.expect.replace("{d}", str(d))
        assert lines[0][len(PREFIX):].startswith(expect), (lines[0], expect)
        if case.no_out:
            no_out = Path(case.no_out.replace("{d}", str(d)))
            assert not no_out.exists(), f"{no_out} was created"
            leftovers = list(no_out.parent.glob(f".{no_out.name}.*")) if \
                no_out.parent.is_dir() else []
            assert not leftovers, leftovers


def test_a_failed_write_leaves_earlier_results_whole(tmp_path, capsys, monkeypatch):
    """ENOSPC while writing: the folder keeps the earlier run's files, no staging left."""
    for name, content in BASE_FILES.items():
        (tmp_path / name).write_text(content)
    out = tmp_path / "out"
    argv = ["run", str(tmp_path / "small.toml"), "--out", str(out), "--workers", "1",
            "--reps", "2"]
    assert cli.main(argv) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(store.os, "fsync", no_space)
    capsys.readouterr()
    assert cli.main([*argv[:-1], "3"]) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if not PROGRESS.fullmatch(x)]
    assert len(err) == 1 and err[0].startswith(PREFIX)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


def test_merge_on_a_full_disk_keeps_the_earlier_tables(tmp_path, capsys, monkeypatch):
    (tmp_path / "small.toml").write_text(SMALL)
    (tmp_path / "spec.toml").write_text(SPEC)
    tiny_sweep(tmp_path / "sw")
    runs = (tmp_path / "sw" / "runs.csv").read_bytes()
    monkeypatch.setattr(store.os, "fsync", no_space)
    assert cli.main(["merge", str(tmp_path / "sw")]) == 2
    assert (tmp_path / "sw" / "runs.csv").read_bytes() == runs
    assert not list((tmp_path / "sw").glob(".*merging*"))


# ------------------------------------------------------------------ validate reads data
def test_validate_reads_the_data_files_and_prints_their_notes(tmp_path, capsys):
    (tmp_path / "net.toml").write_text(edge_scenario(nodes="nodes.csv"))
    (tmp_path / "edges.csv").write_text(EDGES)
    (tmp_path / "nodes.csv").write_text(NODES)
    assert cli.main(["validate", str(tmp_path / "net.toml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{tmp_path / 'net.toml'}: ok (net: 5 groups, network edgelist, "
                             "3 steps; 4 people, 6 directed ties")
    assert "  note: edges.csv: 1 self-loops dropped (first at line 4)" in out
    assert any("1 duplicate ties merged (first at line 5" in line for line in out)


def test_validate_takes_comparisons_and_sweeps_and_never_simulates(capsys, monkeypatch):
    import diffusion_sim.replicate as rep

    def no_runs(*a, **k):
        raise AssertionError("validate ran a simulation")

    monkeypatch.setattr(rep, "replicate", no_runs)
    monkeypatch.setattr(rep.DiffusionModel, "run", no_runs)
    files = [EXP / "scenarios" / "baseline.toml", EXP / "policy_comparison.toml",
             EXP / "sweeps" / "hpc_example.toml"]
    assert cli.main(["validate", *map(str, files)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith(f"{files[1]}: ok (comparison of baseline with 5 scenarios, 40 "
                             "paired replications; 2,000 people, 20,000 directed ties")
    assert out[2].startswith(f"{files[2]}: ok (sweep hpc_example: grid design, 6 points x 4 "
                             "replications in 6 chunks")


# ------------------------------------------------------------------ memory estimate
def test_the_estimate_grows_with_people_ties_workers_and_engine():
    one = replicate_bytes(10**6, 10**7)
    assert one == 48 * 2**20 + 130 * 10**6 + 17 * 10**7
    assert replicate_bytes(10**6, 10**7, "barabasi_albert") >= one
    assert replicate_bytes(10**6, 10**7, engine="agents") == one + 1100 * 10**6
    assert processes_bytes(one, 1) == one
    assert processes_bytes(one, 4) > 4 * one
    sc = Scenario().with_overrides({"population.size": 10**5, "network.mean_degree": 8.0})
    need = need_of(sc)
    assert (need.people, need.directed_ties) == (10**5, 8 * 10**5)
    ws = sc.with_overrides({"network.kind": "watts_strogatz", "network.mean_degree": 7.0})
    assert need_of(ws).directed_ties == 8 * 10**5  # lattice degree: nearest even
    with pytest.raises(ScenarioError, match=r"mean degree 50 needs at least 51 people"):
        Scenario().with_overrides({"population.size": 3, "network.mean_degree": 50.0})


HOT = ("'intervention.seed_fraction': 0.5, 'decision.share_rate': 1.0, "
       "'transmission.reshare_prob': 1.0, 'transmission.transmissibility': 1.0, ")


@pytest.mark.parametrize("n, k, hot", [(10**5, 10, False), (3 * 10**5, 4, False),
                                       (10**5, 10, True)])
def test_the_estimate_bounds_the_measured_peak(n, k, hot):
    """A real replicate's peak memory (VmHWM in a fresh process) stays under the
    estimate (also when everybody shares and reshares: the worst case) and above a
    third of it (the estimate is not uselessly large)."""
    code = (
        "import sys\n"
        "from diffusion_sim.scenario import Scenario\n"
        "from diffusion_sim.replicate import replicate\n"
        "def hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'): return int(line.split()[1]) * 1024\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'): return int(line.split()[1]) * 1024\n"
        f"sc = Scenario().with_overrides({{'population.size': {n}, {HOT if hot else ''}"
        f"'network.mean_degree': {k}.0, 'steps': 4}})\n"
        "base = rss()\n"
        "replicate(sc, 1, (0,))\n"
        "print(hwm() - base)\n")
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    peak = int(res.stdout)
    estimate = replicate_bytes(n, n * k)
    assert estimate / 3 < peak < estimate, (peak, estimate)


def test_available_memory_and_sizes(monkeypatch, tmp_path):
    assert parse_size("500M") == 500 * 2**20
    assert parse_size("1.5T") == int(1.5 * 2**40)
    assert parse_size("2GiB") == 2 * 2**30
    assert parse_size("123") == 123
    for bad in ("", "lots", "-1G", "1Q", "0"):
        with pytest.raises(ValueError):
            parse_size(bad)
    assert available_memory({"DIFFUSION_SIM_MAX_MEMORY": "3G"}) == (
        3 * 2**30, "DIFFUSION_SIM_MAX_MEMORY")
    with pytest.raises(ResourceError, match="DIFFUSION_SIM_MAX_MEMORY: 'x'"):
        available_memory({"DIFFUSION_SIM_MAX_MEMORY": "x"})
    avail, source = available_memory({})
    assert avail > 0 and source


def test_a_cgroup_limit_is_what_is_available(tmp_path):
    from diffusion_sim.capacity import _cgroup_free

    proc = tmp_path / "cgroup"
    proc.write_text("0::/job_42\n")
    job = tmp_path / "fs" / "job_42"
    job.mkdir(parents=True)
    (job / "memory.max").write_text(f"{4 * 2**30}\n")
    (job / "memory.current").write_text(f"{2**30}\n")
    (job / "memory.stat").write_text(f"anon 1\ninactive_file {2**29}\n")
    assert _cgroup_free(tmp_path / "fs", proc) == 4 * 2**30 - 2**30 + 2**29
    (job / "memory.max").write_text("max\n")
    assert _cgroup_free(tmp_path / "fs", proc) is None
    # Slurm: the limit is on the job, the process sits in a task cgroup below it
    proc.write_text("0::/job_42/step_0/task_0\n")
    (job / "step_0" / "task_0").mkdir(parents=True)
    (job / "step_0" / "task_0" / "memory.max").write_text("max\n")
    (job / "memory.max").write_text(f"{3 * 2**30}\n")
    assert _cgroup_free(tmp_path / "fs", proc) == 3 * 2**30 - 2**30 + 2**29
    proc.write_text("4:memory:/slurm/job_7\n")
    v1 = tmp_path / "fs" / "memory" / "slurm" / "job_7"
    v1.mkdir(parents=True)
    (v1 / "memory.limit_in_bytes").write_text(f"{2**31}\n")
    (v1 / "memory.usage_in_bytes").write_text(f"{2**30}\n")
    assert _cgroup_free(tmp_path / "fs", proc) == 2**30


SWEEPS = sorted(p for p in EXP.rglob("*.toml") if "[sweep]" in p.read_text())


@pytest.mark.parametrize("spec", SWEEPS, ids=lambda p: p.parent.name + "/" + p.name)
def test_the_point_count_is_that_of_the_design(spec):
    from diffusion_sim.sweep import load_spec
    from diffusion_sim.sweep.designs import n_points

    loaded = load_spec(spec)
    assert n_points(loaded) == len(loaded.points)


def test_a_sweep_checks_its_largest_point_per_network_kind():
    from diffusion_sim.capacity import largest_points

    base = Scenario()
    points = [{"population.size": n, "network.kind": kind, "transmission.reshare_prob": r}
              for kind in ("sbm", "barabasi_albert") for n in (100, 5000, 300)
              for r in (0.0, 0.1)]
    assert largest_points(base, points) == [2, 8]
    assert largest_points(base, [{"transmission.reshare_prob": 0.1}]) == []
    degree = [{"network.mean_degree": k} for k in (4.0, 40.0, 8.0)]
    assert largest_points(base, degree) == [1]


def test_preflight_reads_each_file_set_once(tmp_path, monkeypatch):
    import diffusion_sim.capacity as capacity

    (tmp_path / "edges.csv").write_text(EDGES)
    (tmp_path / "net.toml").write_text(edge_scenario())
    from diffusion_sim.scenario import load

    sc = load(tmp_path / "net.toml")
    calls = []
    real = capacity.read_inputs
    monkeypatch.setattr(capacity, "read_inputs", lambda s: calls.append(s) or real(s))
    needs = preflight([sc, sc.with_overrides({"steps": 5}), sc], limit=(2**40, "test"))
    assert len(calls) == 1
    assert (needs[0].people, needs[0].directed_ties) == (4, 6)


# ------------------------------------------------------------------ figures
NAMES = ["$x^2$", "$x^$", "cost $5", r"$\foo$", "a\nb", "tab\there", "back\\slash $"]


def test_figures_print_names_literally_and_never_crash(tmp_path, monkeypatch):
    """Every figure of ``run`` and ``compare`` for scenarios named like mathtext (valid,
    invalid, unbalanced) or with control characters: saved without error, and every
    text matplotlib draws is plain text (not math) showing the name, control
    characters escaped."""
    from matplotlib.figure import Figure

    from diffusion_sim.compare import run_comparison
    from diffusion_sim.report import write_comparison_report
    from diffusion_sim.runs import run_replications

    drawn: list[str] = []
    real = Figure.savefig

    def spy(fig, *a, **k):
        real(fig, *a, **k)
        for t in fig.findobj(lambda o: hasattr(o, "_preprocess_math")):
            shown, math = t._preprocess_math(t.get_text())
            assert not math, t.get_text()
            drawn.append(shown)

    monkeypatch.setattr(Figure, "savefig", spy)
    base = Scenario().with_overrides({"population.size": 100, "steps": 3})
    scenarios = [base.with_overrides({"name": name, "transmission.reshare_prob": 0.1 * i})
                 for i, name in enumerate(NAMES)]
    for i, sc in enumerate(scenarios[:3]):
        run_replications(sc, 2, 1, tmp_path / f"run{i}", workers=1)
        assert (tmp_path / f"run{i}" / "reach_by_group.png").stat().st_size > 1000
    comp = run_comparison(scenarios[0], scenarios[1:], reps=2, workers=1)
    write_comparison_report(comp, tmp_path / "cmp")
    for name in NAMES:
        shown = name.replace("_", " ").replace("\n", "\\n").replace("\t", "\\t")
        assert any(shown in s for s in drawn), (shown, drawn[:30])
    assert "x^2" in " ".join(drawn)


# ------------------------------------------------------------------ Slurm arrays
def test_a_stepped_array_runs_the_right_shard(tmp_path, capsys, monkeypatch):
    """``--array=0-6:2``: task 4 is shard 2 of 4 (it runs chunk 2 of the 4 runs)."""
    (tmp_path / "small.toml").write_text(SMALL)
    (tmp_path / "spec.toml").write_text(SPEC)
    for k, v in {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0",
                 "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_STEP": "2",
                 "SLURM_ARRAY_TASK_COUNT": "4"}.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(tmp_path / "spec.toml"), "--out", str(out),
                     "--workers", "1"]) == 0
    assert "shard 2/4: 1 runs now, 1 in all" in capsys.readouterr().out
    assert [p.name for p in out.glob("manifest-shard-*")] == ["manifest-shard-2-of-4.json"]
    assert sorted(p.name for p in (out / "chunks").glob("runs-*")) == ["runs-000002.csv"]


def test_mpi_refusal_is_quick(tmp_path):
    """``--executor mpi`` outside mpiexec: refused in seconds (no hang), nothing written."""
    (tmp_path / "small.toml").write_text(SMALL)
    (tmp_path / "spec.toml").write_text(SPEC)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                        "MPI_LOCALNRANKS")}
    res = subprocess.run([sys.executable, "-m", "diffusion_sim", "sweep",
                          str(tmp_path / "spec.toml"), "--executor", "mpi", "--out",
                          str(tmp_path / "out")], capture_output=True, text=True,
                         timeout=60, env=env)
    assert res.returncode == 2
    assert res.stderr.startswith(f"{PREFIX}--executor mpi ")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ hypothesis
_VALUES = ['"text"', "-1", "-1e308", "1e308", "nan", "inf", "-inf", "0", "99999999999999",
           "[]", "{}", "true", '""', "[1, 2]", '"../../nope.toml"']


def mutate(text: str, ops: list[tuple[int, int, int]], noise: bytes,
           change: Callable[[int, str, int], str], spread: int = 7) -> bytes:
    """Apply (op, line, value) edits: delete (0) or duplicate (1) a line, or
    ``change(op, line, value)`` it (2, 3); then insert the ``noise`` bytes at an offset
    set by ``spread``."""
    lines = text.splitlines()
    for op, at, value in ops:
        if not lines:
            break
        i = at % len(lines)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        else:
            lines[i] = change(op, lines[i], value)
    data = "\n".join(lines).encode() + b"\n"
    if noise:
        cut = len(noise) * spread % (len(data) + 1)
        data = data[:cut] + noise + data[cut:]
    return data


def toml_change(op: int, line: str, value: int) -> str:
    """Replace a key's value (2) or truncate the line (3)."""
    if op == 2:
        return (f"{line.split('=', 1)[0]}= {_VALUES[value % len(_VALUES)]}" if "=" in line
                else line)
    return line[: value % (len(line) + 1)]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of experiments/ (mutated files keep their relative references)."""
    root = tmp_path_factory.mktemp("exp")
    shutil.copytree(EXP, root / "experiments")
    return root / "experiments"


def assert_one_line_or_ok(argv: list[str], capsys) -> None:
    capsys.readouterr()
    try:
        rc = cli.main(argv)
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    assert rc in (0, 2), (rc, err)
    if rc == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(PREFIX), err
    else:
        assert out.startswith(f"{argv[-1]}: ok ("), out


OPS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 200), st.integers(0, 200)),
               max_size=4)
NOISE = st.one_of(st.just(b""), st.binary(max_size=8))
SOURCES = {"scenario": "scenarios/baseline.toml", "comparison": "policy_comparison.toml",
           "sweep": "sweeps/hpc_example.toml"}


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(SOURCES)), ops=OPS, noise=NOISE)
def test_validate_mutated_toml_is_ok_or_one_line(tree, capsys, kind, ops, noise):
    src = tree / SOURCES[kind]
    target = src.with_name(f"mutated_{kind}.toml")
    target.write_bytes(mutate(src.read_text(), ops, noise, toml_change))
    assert_one_line_or_ok(["validate", str(target)], capsys)


def csv_text(rows: int, seed: int, nodes: bool) -> str:
    rng = random.Random(seed)
    if nodes:
        return "id,group,privacy_concern,digital_access\n" + "".join(
            f"p{i},{rng.randint(1, 5)},{rng.random():.2f},{rng.choice(['0', '1', 'yes'])}\n"
            for i in range(rows))
    return "source,target,strength\n" + "".join(
        f"p{rng.randrange(rows)},p{rng.randrange(rows)},{rng.choice(['strong', 'weak', '0.7'])}\n"
        for _ in range(rows))


_CSV_VALUES = ["", "-1", "nan", "2.5", "x", "99", '"', ",", "\t", "é", "\x00"]


def csv_change(op: int, line: str, value: int) -> str:
    """Replace a field (2) or add empty fields (3)."""
    if op == 2:
        cells = line.split(",")
        cells[value % len(cells)] = _CSV_VALUES[value % len(_CSV_VALUES)]
        return ",".join(cells)
    return line + "," * (value % 3)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=st.booleans(), seed=st.integers(0, 10**6), rows=st.integers(0, 30),
       edits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 99), st.integers(0, 99)),
                      max_size=4), noise=NOISE)
def test_validate_mutated_csv_is_ok_or_one_line(tree, capsys, nodes, seed, rows, edits, noise):
    data = mutate(csv_text(rows, seed, nodes), edits, noise, csv_change, spread=13)
    folder = tree / "csv"
    folder.mkdir(exist_ok=True)
    (folder / "data.csv").write_bytes(data)
    scenario = folder / "net.toml"
    if nodes:
        (folder / "edges.csv").write_text("source,target\np0,p1\n")
        scenario.write_text(edge_scenario("edges.csv", nodes="data.csv"))
    else:
        scenario.write_text(edge_scenario("data.csv"))
    assert_one_line_or_ok(["validate", str(scenario)], capsys)
