"""NAdam (Dozat, 2016): Adam with Nesterov momentum, and torch's momentum-decay schedule."""

from __future__ import annotations

from typing import Any, NamedTuple

from mlplab.optim._hyperparameters import check_fraction, check_nonnegative, check_positive
from mlplab.optim._lift import per_array, per_member
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS, register_optimizer
from mlplab.optim.schedules import with_learning_rate


class NadamState(NamedTuple):
    """Step count t, the product mu_1 ... mu_t (a float, or one per model) and the moments."""

    count: int
    mu_product: Any
    mu: tuple[Any, ...]
    nu: tuple[Any, ...]


class _Moments(NamedTuple):
    count: int
    mu: tuple[Any, ...]
    nu: tuple[Any, ...]


def nadam_rule(xp: Any, g: Any, m: Any, v: Any, beta1: Any, one_minus_beta1: Any, beta2: Any,
               one_minus_beta2: Any, eps: Any, bias_correction2: Any, gradient_weight: Any,
               momentum_weight: Any) -> tuple:
    """One array's NAdam step, with the step's weights worked out per model.

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        update = (gradient_weight * g + momentum_weight * m) / (sqrt(v / bias_correction2) + eps)
    """
    m = beta1 * m  # fresh arrays, then in place: the last step's state stays as it was
    m += one_minus_beta1 * g
    v = beta2 * v
    v += one_minus_beta2 * (g * g)
    denominator = xp.sqrt(v / bias_correction2)
    denominator += eps
    update = gradient_weight * g
    update += momentum_weight * m
    update /= denominator
    return update, m, v


def momentum_coefficient(beta1: float, momentum_decay: float, t: int) -> float:
    """mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)), torch.optim.NAdam's schedule."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))


def scale_by_nadam(beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8,
                   momentum_decay: Any = 0.004, *,
                   owner: str = "scale_by_nadam") -> GradientTransformation:
    """Adam's scaling with a Nesterov look-ahead on the first moment.

        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t             (m_0 = v_0 = 0)
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t**2
        update_t = ((1 - mu_t) / (1 - prod_{i<=t} mu_i) * g_t
                    + mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m_t)
                   / (sqrt(v_t / (1 - beta2**t)) + eps)

    Dozat, "Incorporating Nesterov momentum into Adam", ICLR 2016 workshop,
    Algorithm 2, with the momentum schedule of torch.optim.NAdam (whose
    arithmetic this follows: eps outside the square root). The running
    product of the mu's lives in the state as `mu_product`. beta1, beta2 in
    [0, 1), eps > 0 and momentum_decay >= 0 are floats or one value per model;
    the mu's, their product and the corrections are Python floats per model,
    so a member of a population computes exactly its separate run's numbers.
    """
    beta1 = check_fraction("beta1", owner, beta1)
    beta2 = check_fraction("beta2", owner, beta2)
    eps = check_positive("eps", owner, eps)
    momentum_decay = check_nonnegative("momentum_decay", owner, momentum_decay)
    # per_array's per_step sees only the count, and the product of mu's lives in this
    # link's state: `update` works out the step's weights and leaves them here for it.
    this_step: list[tuple[Any, ...]] = []

    moments = per_array(nadam_rule, _Moments, owner=owner,
                        hyperparameters={"beta1": beta1, "one_minus_beta1": 1 - beta1,
                                         "beta2": beta2, "one_minus_beta2": 1 - beta2,
                                         "eps": eps},
                        per_step=lambda count: this_step[-1], check={"momentum_decay":
                                                                     momentum_decay})

    def init(params: Any) -> NadamState:
        count, mu, nu = moments.init(params)
        return NadamState(count, per_member(lambda b1, d: 1.0, beta1, momentum_decay), mu, nu)

    def weights(count: int, mu_product: Any) -> tuple[Any, ...]:
        """mu_1 ... mu_t, and step t's bias correction and weights of g_t and m_t, per model."""
        t = count + 1
        mu = per_member(lambda b1, d: momentum_coefficient(b1, d, t), beta1, momentum_decay)
        mu_next = per_member(lambda b1, d: momentum_coefficient(b1, d, t + 1), beta1,
                             momentum_decay)
        product = per_member(lambda p, m: p * m, mu_product, mu)
        bias_correction2 = per_member(lambda b2: 1 - b2**t, beta2)
        gradient_weight = per_member(lambda m, p: (1.0 - m) / (1.0 - p), mu, product)
        momentum_weight = per_member(lambda m, p: m / (1.0 - p * m), mu_next, product)
        return product, bias_correction2, gradient_weight, momentum_weight

    def update(grads: Any, state: NadamState, params: Any = None) -> tuple[Any, NadamState]:
        mu_product, *step_weights = weights(state.count, state.mu_product)
        this_step[:] = [tuple(step_weights)]
        updates, (count, mu, nu) = moments.update(
            grads, _Moments(state.count, state.mu, state.nu), params)
        return updates, NadamState(count, mu_product, mu, nu)

    config = config_of("scale_by_nadam", beta1=beta1, beta2=beta2, eps=eps,
                       momentum_decay=momentum_decay)
    return GradientTransformation(init, update, config)


def nadam(alpha: Any = 0.002, *, beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8,
          momentum_decay: Any = 0.004, weight_decay: Any = 0.0,
          maximize: bool = False) -> GradientTransformation:
    """NAdam (Dozat, 2016): W <- W - alpha * update_t of `scale_by_nadam`.

    The defaults are torch.optim.NAdam's. alpha: a float > 0, one value per
    model, or a schedule.
    weight_decay: torch's L2 penalty, g <- g + weight_decay * W before the
    scaling (after maximize's negation, as torch); >= 0, or one per model.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    moments = scale_by_nadam(beta1, beta2, eps, momentum_decay, owner="nadam")
    return with_learning_rate("nadam", moments, alpha, weight_decay=weight_decay,
                              maximize=maximize)


LINKS.add("scale_by_nadam", scale_by_nadam)
register_optimizer("nadam", nadam)
