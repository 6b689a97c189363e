"""Will it fit? The memory a run needs, estimated before anything is built.

``run``, ``compare`` and ``sweep`` call :func:`preflight` before any simulation: it
reads and checks every data file the scenarios name (once per file set), estimates the
peak memory of the replicates that will run at the same time, and refuses with one
line (:class:`~diffusion_sim.errors.ResourceError`) when that is more than the memory
available. A population that cannot fit is then a message in a second instead of
minutes of work ended by the kernel's out-of-memory killer. ``run`` and ``compare``
also hold every replicate's results (its weekly counts by group and its summaries)
until they write their tables, so a number of replicates that could never be held is
refused the same way (:func:`kept_bytes`); a sweep writes its runs chunk by chunk and
holds none.

**Available memory** is ``MemAvailable`` of ``/proc/meminfo`` (else
``os.sysconf``), or less when this process runs in a memory-limited cgroup (a Slurm
job, a container): the limit minus what the cgroup already uses (page cache not
counted). The limit can be set by hand, which also overrides a refusal: the
command-line option ``--max-memory SIZE`` or the environment variable
``DIFFUSION_SIM_MAX_MEMORY=SIZE`` (SIZE like ``500M``, ``64G``, ``1.5T``: powers of
1024, as in Slurm; the option wins).

**Measured constants.** Peak resident memory (``VmHWM`` of ``/proc/self/status``
minus the RSS before the replicate) of one replicate of the compiled engine, Python
3.11, numpy 2.4, numba 0.68, a 2-core machine (2026-11-25); ``n`` people, mean degree
``k``, ``T = n·k`` directed ties; "hot" = everybody sharing and resharing
(seed_fraction 0.5, share_rate 1, reshare_prob 1, transmissibility 1):

=================================  ==========  ==========  ===========  ==========  ==========
network (default dynamics / hot)   n = 10^5,   n = 2·10^5, n = 2·10^5,  n = 10^6,   n = 10^6,
                                   k = 10      k = 2       k = 40       k = 10      k = 40
=================================  ==========  ==========  ===========  ==========  ==========
erdos_renyi                        24 / 24 MB  28 / 30 MB  105 / 129    156 / 191   470 / 470
sbm                                16 / 19     25 / 29     78 / 78      155 / 191   403
watts_strogatz                     17 / 19     27 / 30     131 / 131    178 / 190   665
barabasi_albert                    49 / 49     27 / 30     378 / 378    475 / 475   1,800
=================================  ==========  ==========  ===========  ==========  ==========

Fitted upper bound: **130 B/person + 17 B/directed tie** (**47** for barabasi_albert,
whose generator keeps its attachment lists), plus **48 MiB** per process for loading
the compiled engine and the first run's caches (a cold process measured 46 MB at
n = 1,000). The adjacency itself is 5 B per directed tie (int32 neighbour + strength
byte) plus 8 B per person (row pointers); the rest of the per-tie figure is the
generator's pairs and the builder's temporaries, freed before the first week. The
compiled engine gathers no ties while stepping, so a hot run peaks no higher than its
build except for a few arrays per person. The estimate holds every measurement above
(the closest: 96 % of it, a cold process at n = 1,000; 81–92 % at n = 10^6, k = 40). The
per-agent engine adds **1,100 B/person** (``mesa.Agent`` objects: 139.6 MB at
n = 10^5, k = 10). A pool worker adds **40 MB** (its proportional set size after the
fork server's import), the pool's fork server **100 MB**.

Reading user files (before the run, and again in each replicate): an edge list peaks
at **150 B/line + 8 B × min(file size, 16 MiB)** (its 16 MiB parse blocks; 262 MB for
10^6 lines, 566 MB for 3·10^6); a node file at **10.5 B per byte** of file (158 MB for
10^6 rows ``id,group``, 364 MB with every trait column).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any

from diffusion_sim.arguments import parse_size
from diffusion_sim.errors import OutputError, ResourceError
from diffusion_sim.scenario import Scenario
from diffusion_sim.world import Inputs, read_inputs

#: What ``run`` / ``compare`` hold in memory per replicate of a scenario until they
#: write their tables: bytes per (week, group) cell of its counts, plus a fixed part
#: (the summaries). Measured 2026-11-25 on 53 weeks × 5 groups: ``run`` 103 KiB per
#: replicate (tracemalloc's peak, 2,000 people; 73 KiB at 500 people and 105 weeks) and
#: 41 KiB of resident memory (3,000 replicates of 200 people: 386 MB peak against
#: 274 MB for 300); ``compare`` (with its report) 67–76 B per cell.
KEPT_PER_CELL = {"run": 300, "compare": 100}
KEPT_PER_REPLICATE = {"run": 32 * 2**10, "compare": 8 * 2**10}
RUN_FIXED = 48 * 2**20
PER_PERSON = 130
PER_TIE = 17
PER_TIE_BA = 47
AGENTS_PER_PERSON = 1100
PER_WORKER = 40 * 2**20
POOL_SERVER = 100 * 2**20
EDGE_READ_PER_LINE = 150
EDGE_READ_BLOCK = 8 * 2**24
NODES_READ_PER_BYTE = 10.5
#: Free disk space below which an output folder is refused before any work (a full disk).
MIN_FREE_DISK = 2**20

#: The environment variable that sets the memory diffusion-sim may use.
ENV = "DIFFUSION_SIM_MAX_MEMORY"

def human(n_bytes: float) -> str:
    """``"1.4 GiB"``, ``"350 MiB"``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes / 2**10:.3g} KiB"


# ------------------------------------------------------------------ the estimates
def replicate_bytes(people: int, directed_ties: int, kind: str = "sbm",
                    engine: str = "compiled") -> int:
    """Peak memory (bytes) of one replicate in its process: the compiled engine, the
    network, the people and the steps (module docstring)."""
    per_tie = PER_TIE_BA if kind == "barabasi_albert" else PER_TIE
    agents = AGENTS_PER_PERSON * people if engine == "agents" else 0
    return int(RUN_FIXED + PER_PERSON * people + per_tie * directed_ties + agents)


def generated_ties(scenario: Scenario, people: int) -> int:
    """Expected directed ties of a generated network (``n × mean degree``, with the
    lattice / attachment rounding of watts_strogatz and barabasi_albert)."""
    net = scenario.network
    if net.kind == "watts_strogatz":
        degree: float = max(2, round(net.mean_degree / 2) * 2)
    elif net.kind == "barabasi_albert":
        degree = 2 * max(1, round(net.mean_degree / 2))
    else:
        degree = net.mean_degree
    return int(min(people * degree, people * (people - 1)))


def largest_points(base: Scenario, points: Sequence[Mapping[str, Any]]) -> list[int]:
    """The design points of a sweep whose memory :func:`preflight` must check: for each
    distinct combination of the swept population/network values other than
    ``population.size`` and ``network.mean_degree`` (a network kind, a data file), the
    point with the largest estimate from those two (the estimate grows with both).
    Empty when no swept value changes the population or the network."""
    best: dict[tuple, tuple[int, int]] = {}
    for k, point in enumerate(points):
        shape = [(p, repr(v)) for p, v in point.items()
                 if p.startswith(("population.", "network."))]
        if not shape:
            continue
        key = tuple(x for x in shape if x[0] not in ("population.size", "network.mean_degree"))
        n = int(point.get("population.size", base.population.size))
        degree = float(point.get("network.mean_degree", base.network.mean_degree))
        size = replicate_bytes(n, int(n * degree))
        if key not in best or size > best[key][0]:
            best[key] = (size, k)
    return sorted(k for _, k in best.values())


def _sample_lines(path: Path, size: int) -> float:
    """Lines in a file, estimated from its first MiB (exact for smaller files)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2**20)
    except OSError:
        return 0.0
    if not head:
        return 0.0
    return head.count(b"\n") * size / len(head) + 1


def read_bytes(scenario: Scenario) -> int:
    """Peak memory (bytes) of reading the scenario's data files (module docstring);
    0 without files. Missing files, folders and devices count 0 (reading them fails
    with its own line)."""
    total = 0.0
    for path in scenario.data_files:
        try:
            st = path.stat()
        except OSError:
            continue
        if not S_ISREG(st.st_mode):
            continue
        size = st.st_size
        if scenario.network.kind == "edgelist" and path == scenario.resolve_path(
                scenario.network.edges_file):
            total += EDGE_READ_PER_LINE * _sample_lines(path, size) + 8 * min(size, 2**24)
        else:
            total += NODES_READ_PER_BYTE * size
    return int(total)


@dataclass(frozen=True)
class Need:
    """One scenario's replicate: its peak memory and the sizes it came from."""

    scenario: str
    bytes: int
    people: int
    directed_ties: int
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        return (f"{self.people:,} people, {self.directed_ties:,} directed ties, about "
                f"{human(self.bytes)} per replicate")


def need_of(scenario: Scenario, inputs: Inputs | None = None, engine: str = "compiled"
            ) -> Need:
    """The memory one replicate of ``scenario`` needs. ``inputs`` (from
    :func:`~diffusion_sim.world.read_inputs`) give the true sizes of user files;
    without them a generated network's sizes come from the parameters."""
    people = inputs.people if inputs is not None else scenario.population.size
    ties = inputs.directed_ties if inputs is not None else None
    if ties is None:
        ties = generated_ties(scenario, people)
    total = replicate_bytes(people, ties, scenario.network.kind, engine)
    return Need(scenario.name, total + read_bytes(scenario), people, ties,
                inputs.notes if inputs is not None else ())


def kept_bytes(scenarios: Iterable[Scenario], replicates: int, command: str) -> int:
    """The memory ``command`` (``"run"`` or ``"compare"``) holds for the results of
    ``replicates`` replicates of each of ``scenarios`` until it writes them."""
    return sum(replicates * (KEPT_PER_REPLICATE[command] + KEPT_PER_CELL[command]
                             * (sc.steps + 1) * sc.n_groups) for sc in scenarios)


def processes_bytes(per_replicate: int, concurrent: int) -> int:
    """Memory of ``concurrent`` replicates at once (pool workers and server included;
    one replicate runs in this process)."""
    if concurrent <= 1:
        return per_replicate
    return concurrent * (per_replicate + PER_WORKER) + POOL_SERVER


# ------------------------------------------------------------------ what is there
def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _inactive_file(stat: Path, key: str) -> int:
    try:
        for line in stat.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        pass
    return 0


def _cgroup_free(root: Path = Path("/sys/fs/cgroup"),
                 proc: Path = Path("/proc/self/cgroup")) -> int | None:
    """Free memory under this process's memory cgroups, v2 or v1: for the cgroup and
    each of its ancestors with a limit (Slurm sets it on the job, above the task's
    cgroup), the limit minus the use (page cache not counted); the smallest. None
    without a limit (or when none can be read)."""
    try:
        lines = proc.read_text().splitlines()
    except OSError:
        return None
    free = []
    for line in lines:
        _, controllers, rel = [*line.split(":", 2), "", ""][:3]
        if controllers == "":
            base, files = root, ("memory.max", "memory.current", "inactive_file")
        elif "memory" in controllers.split(","):
            base, files = root / "memory", ("memory.limit_in_bytes", "memory.usage_in_bytes",
                                            "total_inactive_file")
        else:
            continue
        folder = base / rel.strip("/")
        for level in (folder, *folder.parents):
            limit = _read_int(level / files[0])
            if limit is not None and limit < 2**60:  # "max" / a huge v1 number: none
                used = _read_int(level / files[1]) or 0
                used -= _inactive_file(level / "memory.stat", files[2])
                free.append(max(limit - max(used, 0), 0))
            if level == base:
                break
    return min(free) if free else None


def available_memory(env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """(bytes diffusion-sim may use, where that figure comes from).

    ``DIFFUSION_SIM_MAX_MEMORY`` if set; else the smaller of ``MemAvailable`` and the
    free part of a memory-limited cgroup (a Slurm job's allocation). Raises
    :class:`ResourceError` for a malformed ``DIFFUSION_SIM_MAX_MEMORY``.
    """
    env = os.environ if env is None else env
    if env.get(ENV, "").strip():
        try:
            return parse_size(env[ENV]), ENV
        except ValueError as exc:
            raise ResourceError(f"{ENV}: {exc}") from None
    mem = _meminfo_available()
    cgroup = _cgroup_free()
    if cgroup is not None and (mem is None or cgroup < mem):
        return cgroup, "free memory of this job's cgroup limit"
    if mem is None:
        return 2**62, "unknown (no /proc/meminfo)"
    return mem, "MemAvailable in /proc/meminfo"


def check_disk(folder: str | Path, need: int = MIN_FREE_DISK) -> None:
    """Refuse (one :class:`~diffusion_sim.errors.OutputError` line) an output folder
    whose file system has less than ``need`` bytes free: a full disk is found before the
    runs, not when their results are written (that is still refused, by the store,
    leaving earlier results whole)."""
    probe = Path(folder).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        st = os.statvfs(probe)
    except OSError:
        return
    free = st.f_bavail * st.f_frsize
    if free < need:
        raise OutputError(f"{folder}: only {human(free)} free on its file system (a full "
                          "disk?); free some space or choose another --out")


# ------------------------------------------------------------------ the check
def check_fits(need: int, limit: tuple[int, str], what: str, how: str) -> None:
    """Refuse (one line) when ``need`` bytes exceed ``limit``."""
    avail, source = limit
    if need > avail:
        raise ResourceError(
            f"{what} needs about {human(need)} of memory but {human(avail)} is available "
            f"({source}); {how}, or if you know better set --max-memory SIZE "
            f"(or {ENV}=SIZE)")


def preflight(scenarios: Iterable[Scenario], *, concurrent: int = 1,
              engine: str = "compiled", limit: tuple[int, str] | None = None,
              check_runs: bool = True, kept: tuple[int, int] = (0, 0)) -> list[Need]:
    """Check, before any run, that every data file reads and that the largest
    replicate fits ``concurrent`` times in memory.

    Parameters
    ----------
    scenarios : the scenarios that will run (a sweep: every design point that
        changes the population or the network).
    concurrent : replicates running at the same time (pool workers; 1 = in process).
    engine : ``"compiled"`` or ``"agents"``.
    limit : (bytes, source) from ``--max-memory``; default :func:`available_memory`.
    check_runs : False: only check that the files read (``validate``: the runs may be
        meant for a bigger machine).
    kept : (bytes, replicates): what the command holds for the results of that many
        replicates until it writes them (:func:`kept_bytes`), on top of the runs.

    Returns
    -------
    list of Need, one per distinct scenario, the largest first.

    Raises
    ------
    NetworkInputError : a data file is missing, unreadable, binary or malformed.
    ResourceError : reading a file, or the runs, would not fit.
    """
    limit = limit or available_memory()
    read: dict[tuple, Inputs] = {}
    needs: dict[tuple, Need] = {}
    for sc in scenarios:
        key = (sc.data_files, sc.n_groups)
        inputs = None
        if sc.data_files:
            if key not in read:
                check_fits(read_bytes(sc), limit, f"reading {', '.join(map(str, key[0]))}",
                           "use a smaller file")
                read[key] = read_inputs(sc)
            inputs = read[key]
        need = need_of(sc, inputs, engine)
        needs.setdefault((need.people, need.directed_ties, sc.network.kind), need)
    ordered = sorted(needs.values(), key=lambda nd: -nd.bytes)
    if ordered and check_runs:
        big = ordered[0]
        total = processes_bytes(big.bytes, concurrent) + kept[0]
        at_once = f", {concurrent} at once in worker processes" if concurrent > 1 else ""
        held = (f", and {human(kept[0])} to hold the results of {kept[1]:,} replicates "
                "until they are written" if kept[0] > total / 10 else "")
        check_fits(total, limit, f"{big.scenario} ({big.people:,} people, "
                   f"{big.directed_ties:,} directed ties: {human(big.bytes)} per replicate"
                   f"{at_once}{held})",
                   "use fewer replicates (a sweep writes its runs as it goes)"
                   if kept[0] > total / 2 else "use fewer people, a lower mean degree" +
                   (" or fewer --workers" if concurrent > 1 else ""))
    return ordered
