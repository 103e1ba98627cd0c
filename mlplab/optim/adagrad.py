"""AdaGrad: per-weight step sizes from the sum of past squared gradients (Duchi et al., 2011)."""

from __future__ import annotations

from typing import Any, NamedTuple

from mlplab.optim._hyperparameters import check_nonnegative, check_positive
from mlplab.optim._lift import per_array
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS, register_optimizer
from mlplab.optim.schedules import with_learning_rate


class AdagradState(NamedTuple):
    """The running sum G of squared gradients of every parameter."""

    sum_of_squares: tuple[Any, ...]


def adagrad_rule(xp: Any, g: Any, G: Any, eps: Any, initial_accumulator: Any) -> tuple:
    """G = G + g**2;  u = g / (sqrt(G) + eps)."""
    G = G + g * g
    return g / (xp.sqrt(G) + eps), G


def _init_adagrad(xp: Any, p: Any, eps: Any, initial_accumulator: Any) -> tuple[Any]:
    """G_0 = initial_accumulator in every entry."""
    return (xp.zeros_like(p) + initial_accumulator,)


def scale_by_adagrad(eps: Any = 1e-10, initial_accumulator: Any = 0.0, *,
                     owner: str = "scale_by_adagrad") -> GradientTransformation:
    """Divide each gradient by the root of its running sum of squares.

        G_t = G_{t-1} + g_t**2            (G_0 = initial_accumulator)
        u_t = g_t / (sqrt(G_t) + eps)

    The diagonal AdaGrad of Duchi, Hazan & Singer, "Adaptive subgradient
    methods for online learning and stochastic optimization", JMLR 2011, whose
    ``delta I + diag(G)^(1/2)`` puts eps outside the root, as PyTorch does.
    The defaults (eps 1e-10, G_0 = 0) are torch.optim.Adagrad's; both may be
    one value per model.
    owner: the name that error messages give (the optimizer built on this).
    """
    eps = check_positive("eps", owner, eps)
    initial_accumulator = check_nonnegative("initial_accumulator", owner, initial_accumulator)
    return per_array(adagrad_rule, AdagradState, owner=owner, init=_init_adagrad,
                     hyperparameters={"eps": eps, "initial_accumulator": initial_accumulator},
                     config=config_of("scale_by_adagrad", eps=eps,
                                      initial_accumulator=initial_accumulator))


def adagrad(alpha: Any = 0.01, *, eps: Any = 1e-10, initial_accumulator: Any = 0.0,
            weight_decay: Any = 0.0, maximize: bool = False) -> GradientTransformation:
    """AdaGrad (Duchi et al., 2011): W <- W - alpha * g / (sqrt(G) + eps), G the sum of g**2.

    alpha: a float > 0, one value per model, or a schedule; see `scale_by_adagrad`.
    torch.optim.Adagrad's ``lr_decay`` is the schedule ``alpha / (1 + t * lr_decay)``.
    weight_decay: torch's L2 penalty, g <- g + weight_decay * W before the
    scaling (after maximize's negation, as torch); >= 0, or one per model.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    scaling = scale_by_adagrad(eps, initial_accumulator, owner="adagrad")
    return with_learning_rate("adagrad", scaling, alpha, weight_decay=weight_decay,
                              maximize=maximize)


LINKS.add("scale_by_adagrad", scale_by_adagrad)
register_optimizer("adagrad", adagrad)
