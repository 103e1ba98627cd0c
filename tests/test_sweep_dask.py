"""Sweeps on a Dask cluster: two local worker processes give the serial table bit for bit."""

import sys

import numpy as np
import pytest

from mlplab.cli import lab as lab_cli
from mlplab.cli import main
from mlplab.lab import sweep

# Fused loops for sgd, populations through fit for adam: both kinds of task.
GRID = dict(hidden=[3, 5], alpha=[1, 10], seed=[1, 2], optimizer=["sgd", "adam"],
            iterations=60, every=20)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip(
        "distributed", reason="the Dask tests need distributed (the dev extra installs it)")
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None) as cluster,
          distributed.Client(cluster) as client):
        yield client


def test_a_dask_client_as_executor_gives_the_serial_table_bit_for_bit(client):
    from distributed import get_task_stream

    serial = sweep(keep_weights=True, **GRID)
    with get_task_stream(client) as stream:
        result = sweep(executor=client, keep_weights=True, **GRID)
    assert result.rows == serial.rows
    for row in serial.final():
        for mine, theirs in zip(result.model(row).params, serial.model(row).params, strict=True):
            np.testing.assert_array_equal(mine, theirs)
    # One task per population or fused share, spread over both workers.
    assert len(stream.data) == 4
    assert len({task["worker"] for task in stream.data}) == 2


def test_joblibs_dask_backend_is_honoured_without_n_jobs(client):
    from distributed import get_task_stream
    from joblib import parallel_config

    serial = sweep(**GRID)
    with get_task_stream(client) as stream, parallel_config(backend="dask", client=client):
        assert sweep(**GRID).rows == serial.rows
    assert len(stream.data) >= 4  # joblib's batches of our tasks ran on the cluster


def test_cli_scheduler_sends_the_sweep_to_a_running_scheduler(client, capsys):
    flags = ["sweep", "--hidden", "3,5", "--alpha", "1,10", "--iterations", "60",
             "--every", "20"]
    assert main(flags) == 0
    here = capsys.readouterr().out
    assert main([*flags, "--scheduler", client.scheduler.address]) == 0
    assert capsys.readouterr().out == here


def test_cli_scheduler_that_cannot_be_reached_is_a_one_line_error(monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(lab_cli, "SCHEDULER_TIMEOUT", "1s")
    assert main(["sweep", "--iterations", "10", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler tcp://127.0.0.1:9" in err


def test_cli_scheduler_without_distributed_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["sweep", "--iterations", "10", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler" in err and "mlplab[cluster]" in err
