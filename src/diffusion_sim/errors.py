"""The project's exception hierarchy.

Every error a user can cause (a bad scenario file, a malformed edge list, a sweep
that cannot be resumed, an output folder that cannot be written) is a
:class:`DiffusionSimError`. The command-line interface turns any of them into one line
on standard error and exit status 2.
"""

from __future__ import annotations


class DiffusionSimError(Exception):
    """Root of every error the user can cause and fix."""


class ScenarioError(DiffusionSimError):
    """A scenario (or comparison) file or value is invalid: unknown key, bad type, range."""


class NetworkInputError(DiffusionSimError):
    """An edge-list or node-attribute file is malformed (the message names file and line)."""


class SweepError(DiffusionSimError):
    """A sweep cannot run, resume or merge as asked."""


class OutputError(DiffusionSimError):
    """An output file or folder cannot be written (the message names the path)."""


class AppError(DiffusionSimError):
    """The interactive app cannot start (its extra is missing, the port is taken)."""


class ResourceError(DiffusionSimError):
    """The machine (or batch job) lacks what a run needs, e.g. memory (checked up front)."""


class CalibrationError(DiffusionSimError):
    """A calibration spec or targets file is invalid, or a calibration cannot run/resume."""


class AnalysisError(DiffusionSimError):
    """An analysis of results cannot run as asked: an optional package is missing, a
    condition names no column or no run meets it, a folder holds no results to analyse."""
