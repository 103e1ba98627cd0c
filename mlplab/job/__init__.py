"""Training jobs as the command line runs them: settings in, model file and summary out.

A `TrainSettings` holds everything `mlplab train` takes, from flags or a TOML
file (flags win). `train_job` reads the data (a built-in name or the user's
table), decides the task from the target's labels and says why, holds out the
test rows (``test_split``) before anything is fitted, fits the preprocessing
(`mlplab.preprocessing.TablePreprocessor`) on the training rows, trains an
ensemble of ENSEMBLE MLPs from different starts (one population, `mlplab.ensemble`;
one MLP for tables over ENSEMBLE_CELLS cells)
until each one's validation loss stops improving (each network watching its own
fold of VALIDATION_SPLIT of the rows, `folds.member_folds`; one network watches a
shared split) with a checkpoint every epoch,
then by default trains fresh networks on all the training rows for the steps
that took each (`training._refit`), with a weight decay of PRIOR_STRENGTH / rows
(`optimizers.default_weight_decay`), scores the test rows, and saves the model
with its preprocessing as data, which `predict_job`, `evaluate_job` and ONNX
export apply to new tables by column name.

Each checkpoint records the run's settings (`recorded`: every field, paths
made absolute) and the preprocessing it fitted, as JSON in the checkpoint's
metadata, so `recorded_settings(path)` gives back everything needed to
continue the run from the file alone (``mlplab train --resume FILE``).
Full-batch solvers (the optimizers whose registry fact ``full_batch`` is
true: BFGS, L-BFGS, annealing) train on the whole data set at once, with
`epochs` as their iteration limit; their search state cannot be saved, so
they write no checkpoint.

One module per step: `settings`, `optimizers`, `prepare`, `folds`, `scoring`, `legacy`,
`training`, `predicting`.
"""

from mlplab.job.legacy import (
    check_not_population,
    legacy_evaluation,
    legacy_predictions,
    legacy_preprocessing,
)
from mlplab.job.optimizers import (
    build_optimizer,
    default_weight_decay,
    task_loss,
    training_loss,
)
from mlplab.job.predicting import (
    evaluate_job,
    predict_job,
)
from mlplab.job.prepare import (
    Prepared,
    build_network,
    encoded,
    ensemble_size,
    prepare,
    read_data,
)
from mlplab.job.scoring import (
    Predictions,
    scores_of,
    scores_text,
)
from mlplab.job.settings import (
    BATCH_SIZE,
    BEFORE_RECORDED,
    DEFAULT_PATIENCE,
    ENSEMBLE,
    ENSEMBLE_CELLS,
    MIN_BATCH,
    MIN_DELTA,
    MIN_STEPS,
    OWNER,
    PATHS,
    PRIOR_STRENGTH,
    RESUME_MAY_CHANGE,
    SUFFIXES,
    VALIDATION_SPLIT,
    TrainSettings,
    checkpoint_path,
    full_batch,
    read_config,
    recorded,
    recorded_settings,
)
from mlplab.job.training import (
    NotConverged,
    lr_find_job,
    train_job,
)
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS

__all__ = [
    "BATCH_SIZE",
    "BEFORE_RECORDED",
    "DEFAULT_PATIENCE",
    "ENSEMBLE",
    "ENSEMBLE_CELLS",
    "IMPUTE",
    "MIN_BATCH",
    "MIN_DELTA",
    "MIN_STEPS",
    "OWNER",
    "PATHS",
    "PRIOR_STRENGTH",
    "RESUME_MAY_CHANGE",
    "SUFFIXES",
    "TASKS",
    "VALIDATION_SPLIT",
    "NotConverged",
    "Predictions",
    "Prepared",
    "TrainSettings",
    "build_network",
    "build_optimizer",
    "check_not_population",
    "checkpoint_path",
    "default_weight_decay",
    "encoded",
    "ensemble_size",
    "evaluate_job",
    "full_batch",
    "legacy_evaluation",
    "legacy_predictions",
    "legacy_preprocessing",
    "lr_find_job",
    "predict_job",
    "prepare",
    "read_config",
    "read_data",
    "recorded",
    "recorded_settings",
    "scores_of",
    "scores_text",
    "task_loss",
    "train_job",
    "training_loss",
]
