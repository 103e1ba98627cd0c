"""Ensembles: member seeds, the averaged answer, MemberSteps, and mlplab train's default
ensemble (each member early-stopped and refitted as if trained alone)."""

import re

import numpy as np
import pytest

from mlplab import MLP, fit, job, save
from mlplab.callbacks import EarlyStopping, MemberSteps, callback_from_config
from mlplab.cli import main
from mlplab.ensemble import mean_prediction, member_seeds
from mlplab.job.folds import member_folds
from mlplab.optim import adam


def test_member_seeds_are_fixed_by_the_seed_and_unrelated_between_seeds():
    assert member_seeds(7, 1) == 7  # one member: the plain single network
    five = member_seeds(7, 5)
    assert five == member_seeds(7, 5) and len(set(five)) == 5
    assert all(isinstance(s, int) for s in five)
    assert member_seeds(7, 3) == five[:3]  # a smaller ensemble is the start of a larger one
    assert not set(member_seeds(0, 5)) & set(member_seeds(1, 5))
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="'members'"):
            member_seeds(0, bad)


def test_the_mean_prediction_averages_the_members_and_leaves_a_single_model_alone():
    X = np.random.default_rng(0).normal(size=(9, 3))
    population = MLP([3, 5, 4], output_activation="softmax", seed=[1, 2, 3])
    outputs = population.predict(X)
    averaged = mean_prediction(population, X)
    np.testing.assert_allclose(averaged, (outputs[0] + outputs[1] + outputs[2]) / 3, rtol=1e-15)
    np.testing.assert_allclose(averaged.sum(axis=1), 1.0, rtol=1e-12)  # still probabilities
    single = MLP([3, 5, 4], seed=1)
    np.testing.assert_array_equal(mean_prediction(single, X), single.predict(X))


def _moons():
    from mlplab.data import load

    X, y = load("moons", seed=0)
    return np.asarray(X), np.asarray(y)


def test_member_steps_give_each_member_its_own_training_length():
    X, y = _moons()
    steps = [3, 11, 7]
    population = MLP([2, 8, 2], output_activation="softmax", seed=[4, 5, 6])
    fit(population, X, y, loss="softmax_crossentropy", optimizer=adam(0.01), batch_size=16,
        iterations=max(steps), seed=1, callbacks=[MemberSteps(steps)])
    for k, (seed, n) in enumerate(zip([4, 5, 6], steps, strict=True)):
        alone = MLP([2, 8, 2], output_activation="softmax", seed=seed)
        fit(alone, X, y, loss="softmax_crossentropy", optimizer=adam(0.01), batch_size=16,
            iterations=n, seed=1)
        for ours, theirs in zip(population.params, alone.params, strict=True):
            np.testing.assert_allclose(ours[k], theirs, rtol=1e-13, atol=1e-15)


def test_member_steps_refuses_bad_steps_and_a_population_of_another_size():
    for bad in ([0, 2], [1.5, 2], [], "3", [[1], [-1]]):
        with pytest.raises(ValueError, match="'steps'"):
            MemberSteps(bad)
    X, y = _moons()
    with pytest.raises(ValueError, match=r"'steps'.*shape \(3,\)"):
        fit(MLP([2, 3, 1], seed=[1, 2, 3]), X, y[:, None], iterations=2,
            callbacks=[MemberSteps([1, 2])])


def test_member_steps_config_and_state_round_trip():
    callback = MemberSteps([2, 5])
    again = callback_from_config(callback.get_config())
    assert isinstance(again, MemberSteps) and again.steps.tolist() == [2, 5]
    X, y = _moons()
    model = MLP([2, 3, 1], seed=[1, 2])
    fit(model, X, y[:, None], iterations=3, batch_size=50, callbacks=[callback])
    state = callback.get_state()
    assert state["done"].tolist() == [True, False]
    fresh = MemberSteps([2, 5])
    fresh.set_state(state)  # held until training begins, then checked against the run
    fit(MLP([2, 3, 1], seed=[1, 2]), X, y[:, None], iterations=1, batch_size=50,
        callbacks=[fresh])
    assert fresh.done.tolist() == [True, False]
    np.testing.assert_array_equal(fresh.kept[0], callback.kept[0])
    bad = MemberSteps([2, 5])
    bad.set_state({**state, "done": np.array([True])})
    with pytest.raises(ValueError, match="'state'"):
        fit(MLP([2, 3, 1], seed=[1, 2]), X, y[:, None], iterations=1, callbacks=[bad])


def settings(**changes):
    return job.TrainSettings(data="moons", seed=3, progress=False, **changes)


def test_each_member_is_early_stopped_on_its_own_fold_and_refitted_as_if_trained_alone():
    """By hand, member by member: a single network trained on all rows with weight 0 on its
    own fold (weights = 1 - the fold's mask), validated on that fold, on the same batches, to
    the population's last epoch (its best epoch is the member's own); then a fresh network
    on all rows for its own steps."""
    net, history, metadata = job.train_job(settings(ensemble=3))
    assert net.population == (3,) and metadata["ensemble"] == 3
    line = metadata["trained"]
    assert "each of the 3 networks watching its own fifth of the 200 rows" in line
    assert "cross-validation" not in line  # 3 windows of 20%: not a partition
    low, high = map(int, re.search(r"last improved at epochs (\d+) to (\d+), each network at "
                                   r"its own", line).groups())
    assert low < high  # the networks stopped at different epochs: MemberSteps has work to do
    bests = set()
    batch, drawn = map(int, re.search(r"in batches of about (\d+) \((\d+) rows drawn",
                                      line).groups())
    assert batch == 16 and drawn == 20  # 16 of 160 rows stepped on, as 20 of all 200
    prepared = job.prepare(settings(ensemble=3))
    folds = member_folds(prepared.y, 3, job.VALIDATION_SPLIT, 3)
    per_epoch = -(-200 // drawn)
    for k, seed in enumerate(member_seeds(3, 3)):
        first = MLP([2, 256, 2], output_activation="softmax", seed=seed)
        stopper = EarlyStopping("val_loss", patience=10**6, min_delta=job.MIN_DELTA)
        fold = folds[k].astype(float)
        alone_history = fit(first, prepared.X, prepared.y, loss="softmax_crossentropy",
                            epochs=len(history),
                            optimizer=adam(1e-3, weight_decay=job.PRIOR_STRENGTH / 160),
                            batch_size=drawn, seed=3, sample_weight=1 - fold,
                            validation_data=(prepared.X, prepared.y, fold), callbacks=[stopper])
        np.testing.assert_allclose(np.asarray(history.history["val_loss"])[:, k],
                                   alone_history.history["val_loss"], rtol=1e-11)
        bests.add(int(stopper.best_epoch) + 1)
        alone = MLP([2, 256, 2], output_activation="softmax", seed=seed)
        fit(alone, prepared.X, prepared.y, loss="softmax_crossentropy",
            iterations=(int(stopper.best_epoch) + 1) * per_epoch,
            optimizer=adam(1e-3, weight_decay=job.PRIOR_STRENGTH / 200), batch_size=batch,
            seed=3)
        for ours, theirs in zip(net.params, alone.params, strict=True):
            np.testing.assert_allclose(ours[k], theirs, rtol=1e-11, atol=1e-13)
    assert min(bests) == low and max(bests) == high


@pytest.mark.filterwarnings("ignore::mlplab.job.NotConverged")
def test_five_members_watch_the_five_folds_of_a_stratified_partition():
    _, _, metadata = job.train_job(settings(epochs=2, early_stopping=False,
                                            validation_split=0.2))
    assert ("each of the 5 networks watching its own fifth of the 200 rows (5-fold "
            "cross-validation)") in metadata["trained"]
    labels = job.prepare(settings()).y
    folds = member_folds(labels, 5, 0.2, 3)
    np.testing.assert_array_equal(folds.sum(axis=0), 1)  # every row watched by one member
    np.testing.assert_array_equal(folds.sum(axis=1), 40)
    np.testing.assert_array_equal(folds[:, labels == 1].sum(axis=1), 20)  # moons: 100 a class
    # one network keeps the shared split
    _, _, metadata = job.train_job(settings(epochs=2, ensemble=1))
    assert "watching" not in metadata["trained"]


def test_predict_and_evaluate_average_the_members(tmp_path):
    net, _, metadata = job.train_job(settings(ensemble=4, epochs=5, early_stopping=False))
    path = tmp_path / "model.npz"
    save(net, path, metadata=metadata)
    data = tmp_path / "moons.csv"
    X, y = _moons()
    data.write_text("x0,x1,target\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y,
                                                                                     strict=True)))
    predictions = job.predict_job(str(path), str(data))
    preprocessor = job.prepare(settings()).preprocessor
    members = net.predict(preprocessor.transform(
        job.read_data(str(data), None, None, "test"), "test"))
    np.testing.assert_allclose(predictions.proba, members.mean(axis=0), rtol=1e-12)
    scores = job.evaluate_job(str(path), str(data))
    assert scores["accuracy"] == pytest.approx(np.mean(members.mean(axis=0).argmax(1) == y))
    true = members.mean(axis=0)[np.arange(len(y)), y]
    assert scores["loss"] == pytest.approx(-np.mean(np.log(true)))
    # the ensemble is at least as good as its typical member on its own loss (Jensen)
    assert scores["loss"] <= np.mean(-np.log(members[:, np.arange(len(y)), y]).mean(axis=1))


def test_the_command_line_trains_an_ensemble_by_default_and_one_network_on_request(capsys):
    assert main(["train", "moons", "--epochs", "3", "--no-early-stopping"]) == 0
    out = capsys.readouterr().out
    assert f"ensemble: {job.ENSEMBLE} networks" in out
    assert f"a population of {job.ENSEMBLE} models" in out
    assert re.search(r"last epoch \(the mean of 5 networks\): loss [\d.]+, ", out)
    assert main(["train", "moons", "--epochs", "3", "--no-early-stopping", "--ensemble",
                 "1"]) == 0
    out = capsys.readouterr().out
    assert "ensemble:" not in out and "one model" in out


def test_a_bad_ensemble_names_the_flag_or_the_key(capsys, tmp_path):
    for value in ("0", "-2", "two"):
        with pytest.raises(SystemExit):
            main(["train", "moons", "--ensemble", value])
        assert "--ensemble" in capsys.readouterr().err
    config = tmp_path / "run.toml"
    config.write_text('ensemble = "five"\n')
    assert main(["train", "moons", "--config", str(config)]) == 2
    assert "'ensemble' key" in capsys.readouterr().err
    config.write_text("ensemble = 0\n")
    assert main(["train", "moons", "--config", str(config)]) == 2
    assert "'ensemble' key" in capsys.readouterr().err


def test_a_checkpoint_from_before_ensembles_resumes_as_one_network(capsys, tmp_path,
                                                                  monkeypatch):
    checkpoint = tmp_path / "run.ckpt.npz"
    assert main(["train", "moons", "--ensemble", "1", "--epochs", "2", "--no-early-stopping",
                 "--checkpoint", str(checkpoint)]) == 0
    recorded = job.recorded_settings(checkpoint)
    del recorded["ensemble"]  # as a checkpoint written before the setting existed
    monkeypatch.setattr(job, "recorded_settings", lambda path: dict(recorded))
    capsys.readouterr()
    assert main(["train", "--resume", str(checkpoint), "--epochs", "4"]) == 0
    assert "one model" in capsys.readouterr().out


def test_large_tables_train_one_network_by_default_unless_asked(monkeypatch):
    import sys

    prepare_module = sys.modules["mlplab.job.prepare"]  # the module, not its function
    assert job.prepare(settings()).net.population == (job.ENSEMBLE,)  # 200 x 2 cells
    monkeypatch.setattr(prepare_module, "ENSEMBLE_CELLS", 399)  # 200 rows x 2 inputs = 400
    prepared = job.prepare(settings())
    assert prepared.net.population == () and "ensemble" not in prepared.metadata
    assert any("one network, as for every table of over 399 cells (400 here)" in line
               for line in prepared.lines)
    assert job.prepare(settings(ensemble=3)).net.population == (3,)
    single = job.prepare(settings(ensemble=1))
    assert single.net.population == () and not any("ensemble" in line
                                                    for line in single.lines)


def test_a_solver_that_replays_a_population_refuses_validation(capsys):
    X, y = _moons()
    for solver in ("lbfgs", "bfgs"):
        with pytest.raises(ValueError, match=r"'validation_split' parameter of fit .*one after "
                                             r"another"):
            fit(MLP([2, 4, 2], output_activation="softmax", seed=[1, 2]), X, y,
                loss="softmax_crossentropy", optimizer=solver, iterations=3,
                validation_split=0.2)
    # one network validates each iteration, and annealing steps a population in lockstep
    history = fit(MLP([2, 4, 2], output_activation="softmax", seed=1), X, y,
                  loss="softmax_crossentropy", optimizer="lbfgs", iterations=5,
                  validation_split=0.2)
    assert len(set(np.round(history.history["val_loss"], 12))) > 1
    assert main(["train", "moons", "--optimizer", "lbfgs", "--validation-split", "0.2"]) == 2
    err = capsys.readouterr().err
    assert "'--validation-split' flag" in err and "--ensemble 1" in err


def test_predict_and_evaluate_refuse_a_population_saved_without_the_ensemble_record(
        capsys, tmp_path):
    save(MLP([2, 3, 1], seed=[1, 2]), tmp_path / "pop.npz")  # restarts, a sweep: not to average
    data = tmp_path / "rows.csv"
    data.write_text("a,b,y\n1,2,0.5\n3,4,1.5\n5,6,2.5\n")
    for command in ("predict", "evaluate"):
        assert main([command, str(tmp_path / "pop.npz"), str(data)]) == 2
        err = capsys.readouterr().err
        assert f"The 'MODEL' argument of mlplab {command} must be one network" in err
        assert len(err.strip().splitlines()) == 1


def test_member_steps_refuses_a_solver_and_an_annealed_ensemble_keeps_its_networks():
    X, y = _moons()
    for solver in ("annealing", "lbfgs"):
        with pytest.raises(ValueError, match=f"MemberSteps with the solver {solver}"):
            fit(MLP([2, 3, 2], output_activation="softmax", seed=[1, 2]), X, y,
                loss="softmax_crossentropy", optimizer=solver, iterations=3,
                callbacks=[MemberSteps([1, 3])])
    net, _, metadata = job.train_job(settings(optimizer="annealing", validation_split=0.2,
                                              patience=3, epochs=40, ensemble=2))
    assert net.population == (2,)
    assert metadata["trained"].endswith("their weights kept: a solver cannot retrain an "
                                        "ensemble's networks for lengths of their own")


def test_a_split_that_leaves_an_ensemble_nothing_to_train_on_names_the_split(capsys, tmp_path):
    data = tmp_path / "six.csv"
    data.write_text("a,b,y\n1,2,x\n2,3,y\n3,1,x\n4,4,y\n5,2,x\n6,1,y\n")
    assert main(["train", str(data), "--target", "y", "--validation-split", "0.9"]) == 2
    err = capsys.readouterr().err
    assert "'--validation-split' flag" in err and "--batch-size" not in err
    assert "leaves each network rows to train on" in err
