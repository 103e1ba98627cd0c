"""The lab: sweeps, restarts, the learning-rate finder, optimizer races and the tutorials'
experiments."""

from mlplab.lab.grid import Config, grid
from mlplab.lab.lr_find import LRFindResult, lr_find
from mlplab.lab.race import DataRace, RaceResult, race, race_on_data
from mlplab.lab.restarts import RestartResult, restarts
from mlplab.lab.results import SweepResult
from mlplab.lab.sweep import sweep

__all__ = ["Config", "DataRace", "LRFindResult", "RaceResult", "RestartResult", "SweepResult",
           "grid", "lr_find", "race", "race_on_data", "restarts", "sweep"]
