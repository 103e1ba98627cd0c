"""TrainingState: what the training loop shares with callbacks at every step.

It lives in a module of its own so that callbacks, checkpoints and samplers
can name it without importing the training loop.
"""

from __future__ import annotations

from typing import Any

from mlplab.history import History


class TrainingState:
    """What callbacks see: the model, where training is, and the last step's results.

    outputs: the step's batch outputs before its update; y_batch: its targets;
    loss: the loss per model; grads, updates: lists in the order of `params`;
    random_streams: the run's `RandomStreams` (checkpoints save and restore them);
    stateful_callbacks: the run's callbacks that keep state (`get_state`), in
    order, which checkpoints save and restore; solver: the solver running the
    loop (`mlplab.optim.solver.Solver`: each of its iterations is one epoch and
    no step hooks are called), None for gradient steps; optimizer_config: the
    optimizer's config (None when it cannot be written down), which a
    checkpoint records so that a resume with another optimizer is refused.
    """

    def __init__(self, model: Any, optimizer_state: Any, history: History, *,
                 epochs: int, max_steps: int) -> None:
        self.model, self.params = model, model.params
        self.optimizer_state, self.history = optimizer_state, history
        self.epochs, self.max_steps = epochs, max_steps  # the plan: at most this many
        self.iteration = self.epoch = 0
        self.outputs: Any = None
        self.y_batch: Any = None
        self.loss: Any = None
        self.grads: list[Any] = []
        self.updates: list[Any] = []
        self.stop_training = False
        self.random_streams: Any = None
        self.stateful_callbacks: list[Any] = []  # those whose state checkpoints keep
        self.optimizer_config: Any = None
        self.solver: Any = None
