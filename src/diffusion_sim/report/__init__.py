"""Reports: figures (:mod:`~diffusion_sim.report.figures`) and the scenario-comparison
report with its tables and HTML template (:mod:`~diffusion_sim.report.comparison`)."""

from diffusion_sim.report.comparison import write_comparison_report

__all__ = ["write_comparison_report"]
