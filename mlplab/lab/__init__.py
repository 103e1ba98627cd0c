"""The lab: sweeps, restarts and the tutorials' experiments, each one call."""

from mlplab.lab.grid import Config, grid
from mlplab.lab.restarts import RestartResult, restarts
from mlplab.lab.results import SweepResult
from mlplab.lab.sweep import sweep

__all__ = ["Config", "RestartResult", "SweepResult", "grid", "restarts", "sweep"]
