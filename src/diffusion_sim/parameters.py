"""The parts of a scenario, and the machinery of typed, frozen, validated parameters.

A parameter dataclass derives from :class:`Params`; each field states its default,
kind, range and meaning once, with :func:`num`, :func:`choice`, :func:`flag`,
:func:`text` or :func:`numbers`. :meth:`Params.__post_init__` validates every field
from that metadata whenever an object is built (directly, by ``dataclasses.replace`` or
by a loader) and raises :class:`FieldError` naming the field; the same metadata
documents the field (``diffusion-sim describe``). :class:`Table` is the immutable,
hashable mapping a frozen dataclass can hold (the strategy and trait tables).

The vocabulary (:data:`STRATEGIES`, :data:`TRAITS`) and the parts of a scenario
(:class:`PopulationParams` ... :class:`InterventionParams`) are defined here, each
default once; :mod:`diffusion_sim.scenario` assembles them into a :class:`Scenario`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from diffusion_sim.errors import ScenarioError
from diffusion_sim.network.generators import NETWORK_KINDS
from diffusion_sim.seeding import SEEDING_POLICIES

K = TypeVar("K")
V = TypeVar("V")


class Table(Mapping[K, V], Generic[K, V]):
    """An immutable, hashable, ordered mapping (a frozen dataclass can hold it)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        pairs = tuple(items.items() if isinstance(items, Mapping) else items)
        object.__setattr__(self, "_items", pairs)

    def __getitem__(self, key: K) -> V:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[K]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Table):
            return self._items == other._items
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Table is immutable")

    def __repr__(self) -> str:
        return f"Table({dict(self._items)!r})"

    def __reduce__(self) -> tuple[type, tuple[tuple[tuple[K, V], ...]]]:
        return (Table, (self._items,))


# ---------------------------------------------------------------------- field kinds
def num(default: float | int, lo: float | None = None, hi: float | None = None, *,
        lo_open: bool = False, hi_open: bool = False, integer: bool = False,
        doc: str = "") -> Any:
    """A number field with its range (``lo``/``hi``, open or closed) and meaning."""
    return field(default=default, metadata={
        "kind": "int" if integer else "float", "lo": lo, "hi": hi, "lo_open": lo_open,
        "hi_open": hi_open, "doc": doc})


def choice(default: str, options: Iterable[str], doc: str = "") -> Any:
    """A string field restricted to ``options``."""
    return field(default=default, metadata={"kind": "choice", "choices": tuple(options),
                                            "doc": doc})


def flag(default: bool, doc: str = "") -> Any:
    return field(default=default, metadata={"kind": "bool", "doc": doc})


def text(default: str = "", doc: str = "") -> Any:
    return field(default=default, metadata={"kind": "str", "doc": doc})


def numbers(default: tuple[float, ...], doc: str = "", lo: float = 0.0) -> Any:
    """A list of numbers ≥ ``lo`` (stored as a tuple)."""
    return field(default=default, metadata={"kind": "floats", "lo": lo, "doc": doc})


def texts(default: tuple[str, ...] = (), doc: str = "") -> Any:
    """A list of non-empty strings (stored as a tuple)."""
    return field(default=default, metadata={"kind": "strs", "doc": doc})


class FieldError(ScenarioError):
    """A field's value is invalid; ``key`` is its dotted path within the object."""

    def __init__(self, key: str, msg: str) -> None:
        super().__init__(f"{key}: {msg}")
        self.key, self.msg = key, msg


def range_text(meta: Mapping[str, Any]) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    lb = "(" if meta.get("lo_open") else "["
    rb = ")" if meta.get("hi_open") else "]"
    return f"{lb}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{rb}"


def check_number(value: Any, key: str, meta: Mapping[str, Any]) -> float | int:
    """A number checked against a field's metadata (type, finiteness, range)."""
    integer = meta.get("kind") == "int"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(key, f"must be {'an integer' if integer else 'a number'}, got {value!r}")
    if integer and isinstance(value, float) and not value.is_integer():
        raise FieldError(key, f"must be an integer, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value) and not (
            meta.get("allow_inf") and value == math.inf):
        raise FieldError(key, f"must be finite, got {value!r}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and (value < lo or (meta.get("lo_open") and value == lo))) or (
            hi is not None and (value > hi or (meta.get("hi_open") and value == hi))):
        raise FieldError(key, f"{value!r} is out of range {range_text(meta)}")
    return int(value) if integer else float(value)


def check_field(value: Any, name: str, meta: Mapping[str, Any]) -> Any:
    """The validated (and normalised: int -> float, list -> tuple) value of a field."""
    kind = meta.get("kind")
    if kind in ("int", "float"):
        return check_number(value, name, meta)
    if kind == "choice":
        if not isinstance(value, str) or value not in meta["choices"]:
            raise FieldError(name, f"{value!r} is not one of "
                             f"{', '.join(repr(c) for c in meta['choices'])}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise FieldError(name, f"must be true or false, got {value!r}")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise FieldError(name, f"must be a string, got {value!r}")
        return value
    if kind == "floats":
        if not isinstance(value, list | tuple):
            raise FieldError(name, f"must be a list of numbers, got {value!r}")
        return tuple(check_number(x, f"{name}[{i}]", {"kind": "float", "lo": meta.get("lo")})
                     for i, x in enumerate(value))
    if kind == "strs":
        if not isinstance(value, list | tuple):
            raise FieldError(name, f"must be a list of strings, got {value!r}")
        for i, x in enumerate(value):
            if not isinstance(x, str) or not x.strip():
                raise FieldError(f"{name}[{i}]", f"must be a non-empty string, got {x!r}")
        return tuple(value)
    return value


class Params:
    """Base of the parameter dataclasses: every field is validated on construction
    from its metadata, then :meth:`check` runs the cross-field rules."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if "kind" not in f.metadata:
                continue
            old = getattr(self, f.name)
            new = check_field(old, f.name, f.metadata)
            if new is not old:
                object.__setattr__(self, f.name, new)
        self.check()

    def check(self) -> None:
        """Cross-field rules (raise :class:`FieldError`)."""


# ---------------------------------------------------------------------- vocabulary
#: The strategy that shares nothing: always code 0, zero benefit and zero risk.
AVOID = "avoid"
#: The default strategies, in code order (``avoid`` = 0 ... ``open`` = 3).
STRATEGIES: tuple[str, ...] = (AVOID, "allocate", "embed", "open")
#: The default sharing strategies (everything but ``avoid``).
SHARING_STRATEGIES: tuple[str, ...] = STRATEGIES[1:]
#: The per-person traits drawn from a Beta distribution per group, and the
#: illustrative default (mean, concentration) of each.
#: A concentration of ``inf`` is a degenerate distribution: everybody has the mean.
TRAIT_DEFAULTS: dict[str, tuple[float, float]] = {
    "privacy_concern": (0.5, 10.0),
    "identity_sensitivity": (0.5, 10.0),
    "other_regard": (0.4, 10.0),
    "receptiveness": (0.4, 10.0),
    # stage 2 (participation inequality): chance per week of having something to share;
    # by default everybody shares at the same rate (``decision.share_rate``, 0.3)
    "activity": (0.3, math.inf),
}
TRAITS: tuple[str, ...] = tuple(TRAIT_DEFAULTS)
#: Traits drawn after digital access, so that turning them on leaves every other draw
#: of a run as it was (traits added after stage 1).
LATE_TRAITS: tuple[str, ...] = ("activity",)
AUDIENCES = ("strong", "all")
STRATEGY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*$")

# ---------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class PopulationParams(Params):
    """Who lives in the model."""

    size: int = num(2000, 2, 10**9, integer=True,
                    doc="number of people (ignored when a node file or edge list gives them)")
    group_shares: tuple[float, ...] = numbers(
        (0.2, 0.2, 0.2, 0.2, 0.2),
        doc="population share of each ordered group, group 1 = most deprived; sums to 1")
    nodes_file: str = text("", doc="CSV id,group[,traits] of the people (optional; relative "
                               "to the scenario file)")
    group_names: tuple[str, ...] = texts(
        doc="a name per group, most deprived first, shown in every table and figure, e.g. "
            "['Q1 (most deprived)', ..., 'Q5 (least deprived)']; empty = 'group 1 (most "
            "deprived)' ... 'group G (least deprived)'")
    dimension: str = text("Deprivation group", doc="what orders the groups (HEAT's "
                          "'dimension'), e.g. 'Index of Multiple Deprivation quintile'")
    favourable: bool = flag(True, doc="is being reached and engaged a favourable outcome "
                            "(HEAT's favourable_indicator): true = more is better, false = "
                            "less is better (then HEAT's best group has the least)")

    def check(self) -> None:
        if not self.group_shares:
            raise FieldError("group_shares", "needs at least one group")
        if abs(sum(self.group_shares) - 1.0) > 1e-6:
            raise FieldError("group_shares", f"shares must sum to 1, they sum to "
                             f"{sum(self.group_shares):.6g}")
        if self.group_names:
            if len(self.group_names) != self.n_groups:
                raise FieldError("group_names", f"needs one name per group ({self.n_groups}), "
                                 f"got {len(self.group_names)}")
            seen = [n.strip().casefold() for n in self.group_names]
            dupes = sorted({n for n, k in zip(self.group_names, seen) if seen.count(k) > 1})
            if dupes:
                raise FieldError("group_names", f"names must differ; repeated: "
                                 f"{', '.join(map(repr, dupes))}")
        if not self.dimension.strip():
            raise FieldError("dimension", "must be a non-empty name")

    @property
    def n_groups(self) -> int:
        return len(self.group_shares)

    def group_counts(self, n: int | None = None) -> np.ndarray:
        """Exact group sizes of ``n`` people (default ``size``) by the largest-remainder
        rule, so a 20 % group of 2,000 people has exactly 400 (int64)."""
        n = self.size if n is None else n
        shares = np.asarray(self.group_shares, dtype=float)
        raw = shares * n
        sizes = np.floor(raw).astype(np.int64)
        short = n - int(sizes.sum())
        if short > 0:
            order = np.argsort(-(raw - sizes), kind="stable")
            sizes[order[:short]] += 1
        return sizes

    @property
    def names(self) -> tuple[str, ...]:
        """The groups' names, most deprived first: ``group_names``, or
        ``group 1 (most deprived)`` ... ``group G (least deprived)``."""
        if self.group_names:
            return self.group_names
        return default_group_names(self.n_groups)


def group_tag(g: int, n_groups: int) -> str:
    """`` (most deprived)`` / `` (least deprived)`` for the end groups, else ``""``."""
    if g == 1:
        return " (most deprived)"
    return " (least deprived)" if g == n_groups else ""


def default_group_names(n_groups: int) -> tuple[str, ...]:
    """``group 1 (most deprived)``, ``group 2``, ..., ``group G (least deprived)``."""
    return tuple(f"group {g}{group_tag(g, n_groups)}" for g in range(1, n_groups + 1))


_MEAN = {"kind": "float", "lo": 0.0, "hi": 1.0}
_CONC = {"kind": "float", "lo": 0.0, "lo_open": True, "allow_inf": True}


@dataclass(frozen=True)
class TraitParams(Params):
    """Beta distribution of one trait, per group (mean in [0,1], concentration > 0).

    A Beta(mean, concentration) has shape parameters ``a = mean·concentration`` and
    ``b = (1 − mean)·concentration``; larger concentration means less spread. A mean
    of exactly 0 or 1 gives everybody in the group that value (no draw).
    ``group_mean[g]`` / ``group_concentration[g]`` are the resolved values of group
    g+1 (empty = every group uses ``mean`` / ``concentration``; the scenario resolves
    them to its number of groups).
    """

    mean: float = num(0.5, 0.0, 1.0, doc="mean of the trait's Beta distribution")
    concentration: float = field(default=10.0, metadata={
        **_CONC, "doc": "concentration a+b of the Beta distribution (less spread when "
                        "larger; inf = everybody has the mean)"})
    group_mean: tuple[float, ...] = ()
    group_concentration: tuple[float, ...] = ()

    def check(self) -> None:
        for name, meta in (("group_mean", _MEAN), ("group_concentration", _CONC)):
            vals = tuple(check_number(v, f"group{g + 1}.{name[6:]}", meta)
                         for g, v in enumerate(getattr(self, name)))
            object.__setattr__(self, name, vals)

    def resolved(self, n_groups: int) -> TraitParams:
        """These parameters with per-group values for exactly ``n_groups`` groups."""
        gm = self.group_mean or (self.mean,) * n_groups
        gc = self.group_concentration or (self.concentration,) * n_groups
        if len(gm) != n_groups or len(gc) != n_groups:
            raise FieldError("group_mean", f"has {len(gm)} groups, the population {n_groups}")
        return dataclasses.replace(self, group_mean=gm, group_concentration=gc)


@dataclass(frozen=True)
class AccessParams(Params):
    """Probability of digital access (being on the platform at all), per group."""

    probability: float = num(0.95, 0.0, 1.0, doc="chance a person is on the platform at all")
    group_probability: tuple[float, ...] = ()

    def check(self) -> None:
        object.__setattr__(self, "group_probability", tuple(
            check_number(v, f"group{g + 1}.probability", _MEAN)
            for g, v in enumerate(self.group_probability)))

    def resolved(self, n_groups: int) -> AccessParams:
        gp = self.group_probability or (self.probability,) * n_groups
        if len(gp) != n_groups:
            raise FieldError("group_probability",
                             f"has {len(gp)} groups, the population {n_groups}")
        return dataclasses.replace(self, group_probability=gp)


@dataclass(frozen=True)
class NetworkParams(Params):
    """How the social network is built (see :mod:`diffusion_sim.network`)."""

    kind: str = choice("sbm", NETWORK_KINDS, doc="network generator, or 'edgelist' for a file")
    mean_degree: float = num(10.0, 0.0, lo_open=True, doc="expected ties per person")
    rewire_prob: float = num(0.1, 0.0, 1.0, doc="watts_strogatz: chance a tie is rewired")
    homophily: float = num(0.7, 0.0, 1.0,
                           doc="sbm: expected share of a person's ties inside their own group")
    strong_fraction: float = num(0.3, 0.0, 1.0, doc="chance that a generated tie is strong")
    strong_weight: float = num(1.0, 0.0, doc="tie weight of a strong tie")
    weak_weight: float = num(0.5, 0.0, doc="tie weight of a weak tie")
    edges_file: str = text("", doc="edgelist: CSV source,target[,strength] (relative to the "
                               "scenario file)")
    strong_threshold: float = num(0.5, 0.0,
                                  doc="edgelist: a numeric strength >= this is a strong tie")
    edges_header: str = choice("auto", ("auto", "yes", "no"),
                               doc="edgelist: is the first line a header; 'auto' knows "
                                   "source,target / from,to / src,dst / ... and refuses a "
                                   "doubtful line")

    def check(self) -> None:
        if self.kind == "edgelist" and not self.edges_file:
            raise FieldError("edges_file", "kind = 'edgelist' needs an edges_file")


@dataclass(frozen=True)
class StrategyParams(Params):
    """Utility terms, fidelity and audience of one sharing strategy."""

    enabled: bool = flag(True, doc="can people choose it at all")
    benefit: float = num(1.0, doc="motivating affordance (utility when chosen)")
    control_loss: float = num(1.0, 0.0, doc="risk of losing control over who sees")
    identity_risk: float = num(1.0, 0.0, doc="risk to identity / stigma")
    others_harm: float = num(1.0, 0.0, doc="risk of affecting others negatively")
    fidelity: float = num(1.0, 0.0, 1.0, doc="how much of the health message gets through")
    audience: str = choice("all", AUDIENCES, doc="strong ties only, or all ties")
    comparison: bool = flag(False, doc="a receiver reached only through this strategy, by a "
                                       "higher group, gets the comparison penalty")
    motivation: float = num(0.0, 0.0, 1.0, doc="stage 2: sharing this way sustains the "
                            "sharer's own engagement: attrition x (1 - motivation) while "
                            "the sharer keeps sharing")


#: Illustrative, ordered as Lindberg et al. describe: open is the most beneficial and
#: the most risky; allocating lowers the loss of control (narrow audience); embedding
#: lowers the identity risk and the message's fidelity.
DEFAULT_STRATEGIES: Table[str, StrategyParams] = Table({
    "allocate": StrategyParams(benefit=0.8, control_loss=0.3, identity_risk=0.7,
                               others_harm=0.3, fidelity=1.0, audience="strong"),
    "embed": StrategyParams(benefit=0.6, control_loss=0.6, identity_risk=0.2,
                            others_harm=0.4, fidelity=0.5, audience="all"),
    "open": StrategyParams(benefit=1.2, control_loss=1.0, identity_risk=1.0,
                           others_harm=1.0, fidelity=1.0, audience="all", comparison=True),
})


@dataclass(frozen=True)
class DecisionParams(Params):
    """The multinomial-logit choice among avoid and the sharing strategies."""

    temperature: float = num(0.3, 0.0, doc="logit temperature; 0 = deterministic best response")
    norm_weight: float = num(0.5, doc="utility weight on the share of neighbours seen sharing "
                                      "last step")
    share_once: bool = flag(False, doc="share exactly once, in the step after engaging "
                                       "(independent cascade)")
    forced_strategy: str = text("", doc="if set, everybody uses this strategy")


@dataclass(frozen=True)
class TransmissionParams(Params):
    """Exposure, loss of control and response."""

    transmissibility: float = num(0.4, 0.0, doc="hazard per unit fidelity x tie weight")
    reshare_prob: float = num(0.05, 0.0, 1.0,
                              doc="chance a first-hand receiver passes content to all ties")
    comparison_penalty: float = num(0.7, 0.0, 1.0, doc="engagement multiplier when reached "
                                    "only by open sharing from a higher group")
    attrition: float = num(0.0, 0.0, 1.0, doc="chance per step that an engaged person "
                                               "disengages")
    learning_rate: float = num(0.0, 0.0, 1.0, doc="stage 2: a sharer whose content reached "
                               "people outside its audience in a week moves its privacy "
                               "concern toward 1 by this share of the distance")
    reinforcement: int = num(1, 1, 1000, integer=True, doc="stage 2: distinct peers who must "
                             "have exposed an aware person (over the run) before they can "
                             "engage; 1 = simple contagion")


@dataclass(frozen=True)
class InterventionParams(Params):
    """Who is engaged at the start and the broadcast channel."""

    seeding: str = choice("random", SEEDING_POLICIES, doc="seeding policy")
    seed_fraction: float = num(0.01, 0.0, 1.0, lo_open=True,
                               doc="share of the population engaged at the start")
    target_group: int = num(1, 1, integer=True, doc="targeted seeding: the group seeded")
    referral_need: tuple[float, ...] = numbers(
        (), doc="clinician referral: relative need weight per group (default G, G-1, ..., 1)")
    broadcast_rate: float = num(0.0, 0.0, 1.0,
                                doc="chance per step that the broadcast reaches a person")


def default_traits() -> Table[str, TraitParams]:
    return Table({t: TraitParams(m, c) for t, (m, c) in TRAIT_DEFAULTS.items()})


def default_referral_need(n_groups: int) -> tuple[float, ...]:
    """Default clinician-referral weights: G, G−1, …, 1 (more need in deprived groups)."""
    return tuple(float(n_groups - g) for g in range(n_groups))
