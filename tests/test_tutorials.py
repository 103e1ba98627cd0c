"""The tutorials reproduced: every number in shared/reference/tutorials.json, via the CLI.

Tolerances are SPEC.md's: 1e-9 relative where alpha <= 10, 1e-3 relative on the
errors for alpha 100 and 1000 (chaotic runs), direction changes exact.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from mlplab.cli import main
from mlplab.lab import tutorials

# A copy of shared/reference/tutorials.json (plain-NumPy runs of the tutorials).
REFERENCE = Path(__file__).parent / "fixtures" / "tutorials.json"


@pytest.fixture(scope="module")
def reference():
    return json.loads(REFERENCE.read_text())


def reproduce_json(capsys, *args):
    assert main(["reproduce", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["runs"]


def assert_close(actual, expected, rtol):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected), rtol=rtol,
                               atol=0)


def test_part2_alpha_sweep_matches_reference(capsys, reference):
    runs = reproduce_json(capsys, "part2", "--directions")
    expected_runs = reference["part2_alpha_sweep_h4_y0110"]
    assert [r["alpha"] for r in runs] == [e["alpha"] for e in expected_runs]
    for run, expected in zip(runs, expected_runs, strict=True):
        chaotic = expected["alpha"] > 10
        assert run["hidden"] == expected["hidden"] == 4
        assert_close(run["errors"], expected["error_every_10000"], 1e-3 if chaotic else 1e-9)
        if not chaotic:
            assert_close(run["outputs"], expected["final_output"], 1e-9)
            for w, e in zip(run["weights"], expected["weights"], strict=True):
                assert_close(w, e, 1e-9)
        for c, e in zip(run["direction_changes"], expected["direction_changes"], strict=True):
            np.testing.assert_array_equal(c, e)


def test_part1_matches_reference(capsys, reference):
    one, two = reproduce_json(capsys, "part1", "--directions")
    expected = reference["part1_one_layer_y0011"]
    assert_close(one["outputs"], expected["output"], 1e-9)
    assert_close(one["weights"][0], expected["weights"][0], 1e-9)
    expected = reference["part1_two_layer_y0011_alpha1_h4"]
    assert two["alpha"] == expected["alpha"] and two["hidden"] == expected["hidden"]
    assert_close(two["errors"], expected["error_every_10000"], 1e-9)
    assert_close(two["outputs"], expected["final_output"], 1e-9)
    for w, e in zip(two["weights"], expected["weights"], strict=True):
        assert_close(w, e, 1e-9)
    for c, e in zip(two["direction_changes"], expected["direction_changes"], strict=True):
        np.testing.assert_array_equal(c, e)


def tutorial_loop(hidden, alpha, targets, iterations, every):
    """The tutorials' part 2 loop in plain NumPy, independent of mlplab."""
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([targets]).T
    rng = np.random.RandomState(1)
    synapse_0 = 2 * rng.random_sample((3, hidden)) - 1
    synapse_1 = 2 * rng.random_sample((hidden, 1)) - 1
    counts = [np.zeros_like(synapse_0), np.zeros_like(synapse_1)]
    errors, previous = [], None
    for j in range(iterations):
        layer_1 = 1 / (1 + np.exp(-np.dot(X, synapse_0)))
        layer_2 = 1 / (1 + np.exp(-np.dot(layer_1, synapse_1)))
        layer_2_error = layer_2 - y
        if j % every == 0:
            errors.append(np.mean(np.abs(layer_2_error)))
        layer_2_delta = layer_2_error * (layer_2 * (1 - layer_2))
        layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1 - layer_1))
        updates = [X.T.dot(layer_1_delta), layer_1.T.dot(layer_2_delta)]
        if previous is not None:
            for count, now, before in zip(counts, updates, previous, strict=True):
                count += np.abs((now > 0) + 0 - ((before > 0) + 0))
        synapse_1 -= alpha * updates[1]
        synapse_0 -= alpha * updates[0]
        previous = updates
    return errors, [synapse_0, synapse_1], counts, layer_2[:, 0]


@pytest.mark.parametrize(("hidden", "targets"), [(8, [0, 1, 1, 0]), (3, [1, 0, 0, 1]),
                                                 (16, [0, 0, 1, 1])])
def test_other_hidden_sizes_and_targets_match_the_plain_loop(capsys, hidden, targets):
    alphas = [0.1, 1, 10]
    runs = reproduce_json(capsys, "part2", "--hidden", str(hidden), "--alphas", "0.1,1,10",
                          "--targets", ",".join(map(str, targets)), "--iterations", "3000",
                          "--every", "1000", "--directions")
    assert len(runs) == len(alphas)
    for run, alpha in zip(runs, alphas, strict=True):
        errors, weights, counts, outputs = tutorial_loop(hidden, alpha, targets, 3000, 1000)
        assert run["alpha"] == alpha and run["hidden"] == hidden
        assert_close(run["errors"], errors, 1e-9)
        assert_close(run["outputs"], outputs, 1e-9)
        for w, e in zip(run["weights"], weights, strict=True):
            assert_close(w, e, 1e-9)
        for c, e in zip(run["direction_changes"], counts, strict=True):
            np.testing.assert_array_equal(c, e)


def test_several_hidden_sizes_run_in_order(capsys):
    runs = reproduce_json(capsys, "part2", "--hidden", "2,5", "--alphas", "1,10",
                          "--iterations", "10")
    assert [(r["hidden"], r["alpha"]) for r in runs] == [(2, 1), (2, 10), (5, 1), (5, 10)]
    assert np.shape(runs[3]["weights"][0]) == (3, 5)


def test_text_output_has_the_tutorials_lines(capsys):
    assert main(["reproduce", "part2", "--alphas", "1", "--iterations", "20001"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Training With Alpha:1"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "Error after 0 iterations", "Error after 10000 iterations",
        "Error after 20000 iterations"]


def test_part1_text_output(capsys):
    assert main(["reproduce", "part1", "--iterations", "10001", "--directions"]) == 0
    out = capsys.readouterr().out
    assert "Output After Training:" in out and out.count("Error:") == 2
    assert "Synapse 1 Update Direction Changes" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["part2", "--targets", "0,1,1"], "four numbers"),
        (["part2", "--hidden", "0", "--iterations", "1"], "'--hidden' flag"),
        (["part2", "--alphas=-1", "--iterations", "1"], "'--alphas' flag"),
        (["part1", "--alphas", "1,2"], "single value"),
    ],
)
def test_bad_reproduce_arguments_exit_with_one_line(capsys, args, fragment):
    assert main(["reproduce", *args]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_argument_types_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "part2", "--iterations", "many"])
    assert exit_info.value.code == 2
    assert "positive integer" in capsys.readouterr().err


def test_api_part2_returns_runs_per_alpha():
    runs = tutorials.part2(alphas=[1.0, 10.0], iterations=100, every=50)
    assert [run.alpha for run in runs] == [1.0, 10.0]
    assert len(runs[0].errors) == 2 and runs[0].weights[0].shape == (3, 4)


def test_part2_hidden_prints_every_run_and_the_final_error_table(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["reproduce", "part2-hidden", "--hidden", "2,3", "--alphas", "1,10",
                 "--iterations", "2001", "--every", "1000", "--plot",
                 str(tmp_path / "h.png")]) == 0
    out = capsys.readouterr().out
    assert out.count("Training With Alpha") == 4 and "(hidden size 3)" in out
    table = out.split("Final error")[1].splitlines()
    assert table[1].split() == ["alpha", "2", "3"] and table[2].split()[0] == "1"
    runs = tutorials.part2(hidden_sizes=[3], alphas=[10.0], iterations=2001, every=1000)
    assert float(table[3].split()[2]) == pytest.approx(runs[0].errors[-1], rel=1e-5)
    assert (tmp_path / "h.png").exists()


def test_part2_directions_prints_counts_and_draws_them(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["reproduce", "part2-directions", "--alphas", "10", "--iterations", "500",
                 "--plot", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "Synapse 0 Update Direction Changes" in out
    assert (tmp_path / "d_alpha10_hidden4.png").exists()
