"""mlplab train's defaults: a weight decay of PRIOR_STRENGTH / rows, and after early stopping a
fresh network trained on every training row for the steps early stopping chose."""

import re

import numpy as np
import pytest

from mlplab import MLP, fit, job
from mlplab.optim import adam


def settings(**changes):
    return job.TrainSettings(data="moons", seed=3, progress=False, **changes)


def stopping_line(metadata):
    return next(line for line in metadata["summary"] if line.startswith("trained for"))


def test_the_refit_is_a_fresh_network_trained_on_all_rows_for_the_chosen_steps():
    net, history, metadata = job.train_job(settings(ensemble=1))
    line = stopping_line(metadata)
    best, rows, steps = map(int, re.search(
        r"last improved at epoch (\d+); then trained afresh on all (\d+) training rows for the "
        r"(\d+) steps", line).groups())
    prepared = job.prepare(settings())
    assert rows == len(prepared.X) == 200
    batch = int(re.search(r"in batches of (\d+)", line).group(1))
    assert steps == best * -(-160 // batch)  # 160 rows stepped on while 40 were watched
    assert len(history) > best  # the History is the first run's, to its last epoch
    # By hand: the same initial weights, every row, that many steps, the decay for 200 rows.
    again = MLP([2, 256, 2], output_activation="softmax", seed=3)
    fit(again, prepared.X, prepared.y, loss="softmax_crossentropy", iterations=steps,
        optimizer=adam(1e-3, weight_decay=job.PRIOR_STRENGTH / 200), batch_size=batch, seed=3)
    for ours, theirs in zip(net.params, again.params, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_no_refit_keeps_the_early_stopped_network():
    kept, _, metadata = job.train_job(settings(refit=False))
    assert stopping_line(metadata).endswith("(its weights kept)")
    refitted = job.train_job(settings())[0]
    X = job.prepare(settings()).X
    assert kept.population == refitted.population == (job.ENSEMBLE,)
    assert not np.allclose(kept.predict(X), refitted.predict(X))


@pytest.mark.filterwarnings("ignore::mlplab.job.NotConverged")
def test_without_early_stopping_or_with_a_solver_nothing_is_refitted():
    for changes in ({"early_stopping": False, "epochs": 5}, {"optimizer": "lbfgs",
                                                              "epochs": 20}):
        _, _, metadata = job.train_job(settings(**changes))
        assert "afresh" not in stopping_line(metadata)


@pytest.mark.filterwarnings("ignore::mlplab.job.NotConverged")
def test_the_decay_can_be_chosen_or_turned_off_and_the_line_says_the_default():
    line = stopping_line(job.train_job(settings(epochs=3))[2])
    assert "with weight decay 3/160 = 0.0187" in line  # 0.01875, to 3 digits
    for decay in (0.0, 0.05):
        assert "weight decay" not in stopping_line(
            job.train_job(settings(epochs=3, weight_decay=decay))[2])


def test_a_resumed_finished_run_refits_to_the_same_model(tmp_path):
    checkpoint = tmp_path / "run.ckpt.npz"
    whole = job.train_job(settings(checkpoint=str(checkpoint)))[0]
    resumed = job.train_job(settings(checkpoint=str(checkpoint), resume=str(checkpoint)))[0]
    for ours, theirs in zip(whole.params, resumed.params, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_the_command_line_takes_no_refit(capsys):
    from mlplab.cli import main

    assert main(["train", "moons", "--seed", "3", "--no-refit", "--epochs", "30"]) == 0
    out = capsys.readouterr().out
    assert "afresh" not in out
    with pytest.raises(SystemExit):
        main(["train", "moons", "--no-refit=1"])
