"""Colours of the figures, and the check that colour-blind readers can tell them apart.

Two palettes that never share a chart:

- **scenarios** (:data:`SCENARIO_COLOURS`): the Okabe & Ito (2008) qualitative palette
  without its yellow (too pale on white) and grey (too close to reddish purple for a
  deuteranope): the baseline is always black, then orange, sky blue, bluish green,
  blue, vermillion, reddish purple;
- **groups** (:func:`group_colours`): ordered groups get an ordered palette, viridis
  (van der Walt & Smith 2015) from dark purple (most deprived) to green, stopping
  before its pale yellow end, so that lightness alone gives the order.

:func:`simulate` shows a colour as a reader with a colour-vision deficiency sees it
(Machado, Oliveira & Fernandes 2009, severity 1, applied to linear RGB) and
:func:`delta_e` measures the difference between two colours (CIE 1976 ΔE*ab in CIELAB,
D65); the tests require every pair of scenario colours and every pair of neighbouring
group colours to differ by at least :data:`MIN_DELTA_E` under deuteranopia,
protanopia and tritanopia.

References
----------
Okabe M, Ito K (2008). Color universal design: how to make figures and presentations
that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
Machado GM, Oliveira MM, Fernandes LAF (2009). A physiologically-based model for
simulation of color vision deficiency. *IEEE TVCG* 15(6):1291-1298.
"""

from __future__ import annotations

import numpy as np

#: One colour per scenario, the baseline first (black).
SCENARIO_COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00",
                    "#CC79A7")

#: Line styles that continue the scenario palette beyond its seven colours.
SCENARIO_STYLES = ("-", "--", ":", "-.")

#: Smallest CIE76 colour difference between colours that must be told apart.
MIN_DELTA_E = 15.0

#: Machado et al. (2009) matrices, severity 1.0, on linear RGB.
CVD_MATRICES = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def scenario_colour(i: int) -> str:
    """The colour of the ``i``-th scenario (0 = the baseline)."""
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def scenario_style(i: int) -> str:
    """The line style of the ``i``-th scenario: solid for the first seven, then others."""
    return SCENARIO_STYLES[(i // len(SCENARIO_COLOURS)) % len(SCENARIO_STYLES)]


def group_colours(n_groups: int) -> list[str]:
    """Ordered colours for ``n_groups`` groups, most deprived (darkest) first."""
    from matplotlib import colormaps  # imported when colours are needed (figures)
    from matplotlib.colors import to_hex

    cmap = colormaps["viridis"]
    stops = np.linspace(0.0, 0.85, n_groups) if n_groups > 1 else np.array([0.4])
    return [to_hex(cmap(x)) for x in stops]


def _linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def simulate(colour: str, deficiency: str | None) -> np.ndarray:
    """Linear RGB (in [0, 1]) of ``colour`` as seen with ``deficiency`` (None: normal)."""
    from matplotlib.colors import to_rgb

    rgb = _linear(np.asarray(to_rgb(colour), dtype=float))
    if deficiency is None:
        return rgb
    return np.clip(CVD_MATRICES[deficiency] @ rgb, 0.0, 1.0)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear sRGB colour."""
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375],
                    [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ linear_rgb
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    d = 6 / 29
    f = np.where(t > d**3, np.cbrt(t), t / (3 * d**2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, deficiency: str | None = None) -> float:
    """CIE76 ΔE*ab between two colours as seen with ``deficiency`` (None: normal)."""
    return float(np.linalg.norm(lab(simulate(a, deficiency)) - lab(simulate(b, deficiency))))
