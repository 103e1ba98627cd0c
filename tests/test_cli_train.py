"""`mlplab train`'s flags: full-batch solvers, the fit options, --resume, progress, --plot,
--version."""

import io
import shlex
import sys

import numpy as np
import pytest

import mlplab
from mlplab import job, load
from mlplab.callbacks import Callback, Checkpoint, ProgressBar
from mlplab.checkpoint import read_checkpoint_metadata
from mlplab.cli import main
from mlplab.job import training
from mlplab.model import MLP
from mlplab.optim import (
    OPTIMIZERS,
    adam,
    adamw,
    chain,
    clip_by_global_norm,
    l2_penalty,
    rmsprop,
    sgd,
)
from mlplab.train import fit

SOLVERS = OPTIMIZERS.names(full_batch=True)


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def epochs_trained(out):
    return int(out.split(" for ")[1].split()[0])


def test_the_solvers_are_found_through_the_registry():
    assert {"lbfgs", "bfgs", "annealing"} <= set(SOLVERS)


@pytest.mark.parametrize("name", SOLVERS)
def test_every_full_batch_solver_trains_from_the_command_line(capsys, tmp_path, name):
    model = tmp_path / "m.npz"
    code, out, err = run(capsys, "train", "moons", "--optimizer", name, "--epochs", 15,
                         "--layers", 4, "--save", model)
    assert code == 0, err
    assert 1 <= epochs_trained(out) <= 15  # epochs: the solver's iteration limit
    assert load(model).n_inputs == 2
    assert not (tmp_path / "m.npz.ckpt.npz").exists()  # a solver's search cannot be saved


def test_a_solver_that_converges_before_the_cap_says_so_and_does_not_warn(capsys, recwarn):
    """README: `mlplab train moons --optimizer lbfgs --epochs 200` (L-BFGS converges first)."""
    code, out, err = run(capsys, "train", "moons", "--optimizer", "lbfgs", "--epochs", 200)
    assert code == 0, err
    assert epochs_trained(out) < 200
    assert "until the solver stopped (CONVERGENCE" in out
    assert "epoch cap" not in out and not recwarn.list
    # Cut short by the cap, it still warns
    code, out, err = run(capsys, "train", "moons", "--optimizer", "lbfgs", "--epochs", 5)
    assert code == 0 and epochs_trained(out) == 5
    assert "until the solver stopped" not in out
    assert "warning: training reached the epoch cap (5)" in out


@pytest.mark.parametrize("name", SOLVERS)
def test_a_solver_refuses_what_it_cannot_honour(capsys, tmp_path, name):
    for flags, named in ((["--batch-size", 16], "'--batch-size'"),
                         (["--weight-decay", 0.1], "'--weight-decay'"),
                         (["--clip-norm", 1], "'--clip-norm'"),
                         (["--checkpoint", tmp_path / "c.npz"], "'--checkpoint'")):
        code, _, err = run(capsys, "train", "moons", "--optimizer", name, *flags)
        assert code == 2 and named in err and name in err, err


def test_weight_decay_and_clipping_are_links_before_the_optimizer():
    settings = job.TrainSettings(data="moons", weight_decay=0.01, clip_norm=2.0)
    assert job.build_optimizer(settings, rows=50).get_config() == chain(
        clip_by_global_norm(2.0), adam(1e-3, weight_decay=0.01)).get_config()
    settings = job.TrainSettings(data="moons", optimizer="rmsprop", weight_decay=0.01)
    assert job.build_optimizer(settings, rows=50).get_config() == chain(  # no decay argument of
        l2_penalty(0.01), rmsprop(1e-3)).get_config()                # its own
    for name, own in (("adamw", adamw(0.05, weight_decay=0.2)),
                      ("sgd", sgd(0.05, weight_decay=0.2))):  # their own decay argument
        settings = job.TrainSettings(optimizer=name, learning_rate=0.05, weight_decay=0.2)
        assert job.build_optimizer(settings, rows=50).get_config() == own.get_config()
    off = job.TrainSettings(weight_decay=0.0)
    assert job.build_optimizer(off, rows=50).get_config() == adam(1e-3).get_config()


def test_the_default_weight_decay_is_a_prior_of_fixed_strength_over_the_rows():
    for rows in (96, 300, 1150):  # lambda / n: the more rows, the less decay
        expected = adam(1e-3, weight_decay=job.PRIOR_STRENGTH / rows)
        assert job.build_optimizer(job.TrainSettings(), rows=rows).get_config() == \
            expected.get_config()
    assert job.default_weight_decay(300) == pytest.approx(0.01)


def test_weight_decay_shrinks_the_weights(capsys, tmp_path):
    norms = []
    for decay in ("0", "0.5"):
        model = tmp_path / f"m{decay}.npz"
        assert run(capsys, "train", "moons", "--epochs", 20, "--learning-rate", 0.01,
                   "--weight-decay", decay, "--save", model)[0] == 0
        norms.append(sum(float(np.sum(w ** 2)) for w in load(model).get_weights()))
    assert norms[1] < 0.8 * norms[0]


@pytest.fixture
def regression_csv(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = X @ np.array([2.0, -1.0]) + 0.5
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,y", comments="")
    return path


def test_loss_trains_with_the_named_loss(capsys, regression_csv):
    finals = {}
    for loss in ("mae", "mse"):
        code, out, err = run(capsys, "train", regression_csv, "--target", "y", "--loss", loss,
                             "--epochs", 3)
        assert code == 0, err
        last = next(line for line in out.splitlines() if line.startswith("last epoch"))
        finals[loss] = {k: float(v) for k, v in
                        (pair.split() for pair in last.split(": ", 1)[1].split(","))}
    # the recorded "loss" is the MAE itself with --loss mae, and not with the default mse
    assert finals["mae"]["loss"] == pytest.approx(finals["mae"]["mae"], rel=1e-3)
    assert finals["mse"]["loss"] != pytest.approx(finals["mse"]["mae"], rel=1e-2)


def test_early_stopping_stops_and_patience_counts(capsys):
    code, out, err = run(capsys, "train", "iris", "--epochs", 400, "--learning-rate", 0.05,
                         "--validation-split", 0.3, "--early-stopping", "--patience", 2)
    assert code == 0, err
    assert epochs_trained(out) < 400


class Interrupt(Callback):
    """Ctrl-C at the end of an epoch, as a user's would arrive mid-run."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, state):
        if state.epoch == self.epoch:
            raise KeyboardInterrupt


RUN = ["moons", "--layers", "8", "--epochs", "7", "--seed", "3", "--validation-split", "0.25",
       "--early-stopping", "--patience", "4", "--weight-decay", "0.001", "--clip-norm", "5",
       "--optimizer", "nadam", "--learning-rate", "0.01", "--batch-size", "16"]


def test_ctrl_c_prints_a_resume_command_that_finishes_the_run_bit_for_bit(capsys, tmp_path,
                                                                          monkeypatch):
    whole = tmp_path / "whole.npz"
    assert run(capsys, "train", *RUN, "--save", whole)[0] == 0
    real_fit = training.fit

    def interrupted_fit(*args, callbacks=(), **kwargs):
        return real_fit(*args, callbacks=[*callbacks, Interrupt(3)], **kwargs)

    monkeypatch.setattr(training, "fit", interrupted_fit)
    code, _, err = run(capsys, "train", *RUN, "--save", tmp_path / "cut.npz")
    assert code == 130 and "Traceback" not in err
    command = shlex.split(err.split("Continue with: ")[1])
    assert command[:2] == ["mlplab", "train"] and "--resume" in command
    code, _, err = run(capsys, *command[1:])  # interrupted again before an epoch ends
    assert code == 130 and shlex.split(err.split("Continue with: ")[1]) == command
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path.parent)  # the command works from another folder too
    code, out, err = run(capsys, *command[1:])
    assert code == 0, err
    assert epochs_trained(out) == 7
    for a, b in zip(load(tmp_path / "cut.npz").get_weights(), load(whole).get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_checkpoint_records_the_settings_and_the_preprocessing(capsys, tmp_path):
    assert run(capsys, "train", *RUN, "--save", tmp_path / "m.npz")[0] == 0
    metadata = read_checkpoint_metadata(tmp_path / "m.npz.ckpt.npz")
    recorded = metadata["train_settings"]
    assert recorded["layers"] == [8] and recorded["optimizer"] == "nadam"
    assert recorded["weight_decay"] == 0.001 and recorded["early_stopping"] is True
    assert recorded["save"] == str(tmp_path / "m.npz") and "resume" not in recorded
    assert metadata["preprocessing"]["task"] == "classification"


def test_resume_refuses_changed_settings_and_allows_harmless_ones(capsys, tmp_path):
    assert run(capsys, "train", "moons", "--epochs", 2, "--layers", 8, "--save",
               tmp_path / "m.npz")[0] == 0
    checkpoint = tmp_path / "m.npz.ckpt.npz"
    code, _, err = run(capsys, "train", "--resume", checkpoint, "--layers", 9, "--seed", 5)
    assert code == 2 and "--layers (recorded [8], given [9])" in err and "--seed" in err
    code, _, err = run(capsys, "train", "iris", "--resume", checkpoint)
    assert code == 2 and "DATA (recorded 'moons', given 'iris')" in err
    code, out, err = run(capsys, "train", "moons", "--layers", 8, "--resume", checkpoint,
                         "--epochs", 3, "--save", tmp_path / "more.npz")
    assert code == 0 and epochs_trained(out) == 3 and (tmp_path / "more.npz").exists(), err
    code, _, err = run(capsys, "train", "--resume", checkpoint, "--epochs", 1)
    assert code == 2 and "'--epochs'" in err and "at least the 2 epochs" in err, err


def test_resume_refuses_data_that_changed_since_the_checkpoint(capsys, tmp_path,
                                                               regression_csv):
    assert run(capsys, "train", regression_csv, "--target", "y", "--epochs", 2, "--save",
               tmp_path / "m.npz")[0] == 0
    rows = np.loadtxt(regression_csv, delimiter=",", skiprows=1)
    np.savetxt(regression_csv, rows * 2, delimiter=",", header="a,b,y", comments="")
    code, _, err = run(capsys, "train", "--resume", tmp_path / "m.npz.ckpt.npz")
    assert code == 2 and "data differ" in err, err


def test_a_value_recorded_in_the_checkpoint_is_named_as_such(capsys, tmp_path):
    assert run(capsys, "train", "moons", "--epochs", 2, "--batch-size", 32, "--save",
               tmp_path / "m.npz")[0] == 0
    checkpoint = tmp_path / "m.npz.ckpt.npz"
    code, _, err = run(capsys, "train", "--resume", checkpoint, "--batch-size", 100000)
    assert code == 2 and "--batch-size (recorded 32, given 100000)" in err


def _checkpointed_run(tmp_path, epochs, callbacks=(), resume=False):
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = X[:, :1] - X[:, 1:]
    path = tmp_path / "c.npz"
    fit(MLP([2, 3, 1], seed=0), X, y, optimizer=adam(0.01), epochs=epochs, seed=0,
        callbacks=[Checkpoint(path), *callbacks], resume_from=path if resume else None)


def test_the_progress_bar_continues_from_the_resumed_epoch(tmp_path):
    pytest.importorskip("tqdm")
    _checkpointed_run(tmp_path, 2)
    stream = io.StringIO()
    _checkpointed_run(tmp_path, 5, [ProgressBar(force=True, file=stream)], resume=True)
    assert "2/5" in stream.getvalue() and "0/5" not in stream.getvalue()


def test_without_tqdm_progress_is_plain_lines(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    _checkpointed_run(tmp_path, 2)
    stream = io.StringIO()
    _checkpointed_run(tmp_path, 4, [ProgressBar(force=True, file=stream)], resume=True)
    lines = stream.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 3/4", "epoch 4/4"]
    assert all(line.split(": ")[1].startswith("loss ") for line in lines)


def test_plot_without_matplotlib_is_refused_before_training(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)

    def must_not_train(settings):
        raise AssertionError("trained before checking --plot")

    monkeypatch.setattr(job, "train_job", must_not_train)
    for args in (["train", "moons"], ["lr-find", "--data", "moons"],
                 ["reproduce", "notebook"], ["sweep"]):
        code, _, err = run(capsys, *args, "--plot", tmp_path / "p.png")
        assert code == 2 and "--plot needs matplotlib" in err and "mlplab[plot]" in err, err
    code, _, err = run(capsys, "surface", "--iterations", 10)
    assert code == 2 and "mlplab surface needs matplotlib" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"mlplab {mlplab.__version__}"


def test_a_toml_config_takes_the_new_keys(capsys, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('data = "moons"\nepochs = 30\nearly_stopping = true\npatience = 1\n'
                      'weight_decay = 0.01\nclip_norm = 1.0\nlearning_rate = 0.05\n'
                      'validation_split = 0.3\n')
    code, _, err = run(capsys, "train", "--config", config, "--save", tmp_path / "m.npz")
    assert code == 0, err
    recorded = read_checkpoint_metadata(tmp_path / "m.npz.ckpt.npz")["train_settings"]
    assert (recorded["patience"], recorded["clip_norm"], recorded["weight_decay"]) == (
        1, 1.0, 0.01)
