"""Bad hyperparameters and names: one clear error each, raised where the optimizer is built."""

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.optim import (
    OPTIMIZERS,
    ParamList,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    add_decayed_weights,
    asgd,
    clip_by_global_norm,
    clip_by_value,
    constant_schedule,
    cosine_decay,
    exponential_decay,
    get_optimizer,
    l1_penalty,
    l2_penalty,
    linear_warmup,
    nadam,
    radam,
    rmsprop,
    rprop,
    scale_by_learning_rate,
    scale_by_momentum,
    sgd,
    step_decay,
)


def fails_at_step_0(step):
    raise ZeroDivisionError("no rate yet")


BAD = [
    (sgd, dict(alpha=-0.1), "'alpha' parameter of sgd"),
    (sgd, dict(alpha=0.0), "'alpha' parameter of sgd"),
    (sgd, dict(alpha=np.array([0.1, np.nan])), "'alpha' parameter of sgd"),
    (sgd, dict(alpha="fast"), "'alpha' parameter of sgd"),
    (sgd, dict(momentum=1.0), r"'momentum' parameter of sgd must be .* \[0, 1\)"),
    (sgd, dict(momentum=-0.1), "'momentum' parameter of sgd"),
    (sgd, dict(momentum=np.array([0.5, 1.2])), r"'momentum' parameter of sgd .* \[0, 1\)"),
    (sgd, dict(nesterov=True), "'momentum' parameter of sgd must be > 0 when nesterov"),
    (sgd, dict(momentum=0.9, nesterov=1), "'nesterov' parameter of sgd must be True or False"),
    (sgd, dict(weight_decay=-0.01), "'weight_decay' parameter of sgd"),
    (sgd, dict(momentum=0.9, dampening=1.5), r"'dampening' parameter of sgd .* \[0, 1\]"),
    (sgd, dict(momentum=0.9, dampening=-0.1), "'dampening' parameter of sgd"),
    (sgd, dict(momentum=0.9, nesterov=True, dampening=0.5),
     "'dampening' parameter of sgd must be 0 when nesterov=True"),
    (sgd, dict(maximize=1), "'maximize' parameter of sgd must be True or False"),
    (adam, dict(maximize="yes"), "'maximize' parameter of adam must be True or False"),
    (nadam, dict(maximize=None), "'maximize' parameter of nadam must be True or False"),
    (rprop, dict(alpha=0.0), "'alpha' parameter of rprop"),
    (rprop, dict(etas=(1.5, 1.2)), r"'etas' parameter of rprop must be a pair .*eta_minus < 1"),
    (rprop, dict(etas=(0.5, 0.9)), "'etas' parameter of rprop"),
    (rprop, dict(etas=0.5), "'etas' parameter of rprop"),
    (rprop, dict(step_sizes=(1.0, 0.1)), "'step_sizes' parameter of rprop must be a pair"),
    (rprop, dict(step_sizes=(-1.0, 1.0)), "'step_sizes' parameter of rprop"),
    (asgd, dict(alpha=-0.01), "'alpha' parameter of asgd"),
    (asgd, dict(lambd=-1.0), "'lambd' parameter of asgd"),
    (asgd, dict(alpha_power=np.nan), "'alpha_power' parameter of asgd"),
    (asgd, dict(t0=-1.0), "'t0' parameter of asgd"),
    (asgd, dict(weight_decay=-0.1), "'weight_decay' parameter of asgd"),
    (scale_by_momentum, dict(momentum=1.5), "'momentum' parameter of scale_by_momentum"),
    (adagrad, dict(alpha=-1.0), "'alpha' parameter of adagrad"),
    (adagrad, dict(eps=0.0), "'eps' parameter of adagrad"),
    (adagrad, dict(initial_accumulator=-1.0), "'initial_accumulator' parameter of adagrad"),
    (adadelta, dict(rho=1.0), "'rho' parameter of adadelta"),
    (adadelta, dict(eps=-1e-6), "'eps' parameter of adadelta"),
    (adadelta, dict(alpha=-1.0), "'alpha' parameter of adadelta"),
    (rmsprop, dict(decay=1.5), "'decay' parameter of rmsprop"),
    (rmsprop, dict(eps=0.0), "'eps' parameter of rmsprop"),
    (rmsprop, dict(momentum=1.0), "'momentum' parameter of rmsprop"),
    (rmsprop, dict(centered="yes"), "'centered' parameter of rmsprop"),
    (adam, dict(alpha=-0.001), "'alpha' parameter of adam"),
    (adam, dict(beta1=1.0), r"'beta1' parameter of adam must be .* \[0, 1\)"),
    (adam, dict(beta2=-0.5), "'beta2' parameter of adam"),
    (adam, dict(eps=0.0), r"'eps' parameter of adam must be .* \(0, inf\)"),
    (adam, dict(amsgrad=1), "'amsgrad' parameter of adam must be True or False"),
    (adamw, dict(weight_decay=-0.1), "'weight_decay' parameter of adamw"),
    (adamw, dict(beta2=1.0), "'beta2' parameter of adamw"),
    (nadam, dict(alpha=0.0), "'alpha' parameter of nadam"),
    (nadam, dict(beta1=1.0), r"'beta1' parameter of nadam must be .* \[0, 1\)"),
    (nadam, dict(eps=0.0), "'eps' parameter of nadam"),
    (nadam, dict(momentum_decay=-0.004), "'momentum_decay' parameter of nadam"),
    (radam, dict(beta2=1.0), "'beta2' parameter of radam"),
    (radam, dict(eps=-1.0), "'eps' parameter of radam"),
    (adamax, dict(beta1=np.array([0.9, 1.5])), "'beta1' parameter of adamax"),
    (adamax, dict(eps=0.0), "'eps' parameter of adamax"),
    (clip_by_value, dict(max_delta=0.0), "'max_delta' parameter of clip_by_value"),
    (clip_by_global_norm, dict(max_norm=-1.0), "'max_norm' parameter of clip_by_global_norm"),
    (clip_by_global_norm, dict(max_norm=1.0, norm_type=3),
     r"'norm_type' parameter of clip_by_global_norm must be 1, 2 or inf"),
    (clip_by_global_norm, dict(max_norm=1.0, norm_type="max"), "'norm_type' parameter of clip"),
    (clip_by_global_norm, dict(max_norm=1.0, norm_type=True), "'norm_type' parameter of clip"),
    (l1_penalty, dict(strength=-0.1), "'strength' parameter of l1_penalty"),
    (l2_penalty, dict(strength=np.inf), "'strength' parameter of l2_penalty"),
    (add_decayed_weights, dict(weight_decay=-1.0),
     "'weight_decay' parameter of add_decayed_weights"),
    (step_decay, dict(init=0.1, step_size=0), "'step_size' parameter of step_decay"),
    (step_decay, dict(init=-0.1, step_size=5), "'init' parameter of step_decay"),
    (exponential_decay, dict(init=0.1, gamma=0.0), "'gamma' parameter of exponential_decay"),
    (cosine_decay, dict(init=0.1, decay_steps=10, final=-0.1), "'final' parameter of cosine"),
    (cosine_decay, dict(init=0.1, decay_steps=2.5), "'decay_steps' parameter of cosine"),
    (linear_warmup, dict(peak=0.1, warmup_steps=0), "'warmup_steps' parameter of linear_warmup"),
    (linear_warmup, dict(peak=0.1, warmup_steps=5, after=0.1), "'after' parameter of linear"),
    (constant_schedule, dict(value=0.0), "'value' parameter of constant_schedule"),
    (scale_by_learning_rate, dict(alpha=fails_at_step_0), "fails at step 0.*no rate yet"),
    (adam, dict(alpha=lambda step: -0.1), "'alpha' parameter of adam.*rate -0.1 at step 0"),
]


@pytest.mark.parametrize(("maker", "kwargs", "fragment"), BAD,
                         ids=[f"{m.__name__}-{'-'.join(k)}" for m, k, _ in BAD])
def test_bad_hyperparameter_gets_one_clear_error(maker, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        maker(**kwargs)


def test_error_message_follows_the_template():
    with pytest.raises(ValueError) as caught:
        sgd(0.1, momentum=1.0)
    assert str(caught.value) == ("The 'momentum' parameter of sgd must be a float or array of "
                                 "floats in the range [0, 1). Got 1.0 instead.")


def test_unknown_optimizer_name():
    with pytest.raises(ValueError, match=r"'optimizer' parameter of fit must be one of .*'adam'"):
        get_optimizer("adamx")
    with pytest.raises(ValueError, match=r"'optimizer' parameter of fit.*Got 'adamx'"):
        fit(MLP([2, 1], seed=0), np.ones((4, 2)), np.ones(4), optimizer="adamx", epochs=1)


def test_hyperparameter_an_optimizer_does_not_take():
    with pytest.raises(ValueError, match=r"hyperparameters that adam takes.*'lr'"):
        get_optimizer("adam", lr=0.1)


def test_every_registered_name_builds_and_takes_its_options():
    for name in ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
                 "adamw"):
        assert name in OPTIMIZERS
        get_optimizer(name)
    momentum = get_optimizer("momentum", alpha=0.1, momentum=0.5)
    params = ParamList([np.zeros(2)])
    state = momentum.init(params)
    for expected in ([-0.1, -0.2], [-0.15, -0.3]):  # b = 0.5 b + g, times -0.1
        updates, state = momentum.update([np.array([1.0, 2.0])], state, params)
        np.testing.assert_allclose(updates[0], expected, rtol=1e-15)


def test_penalty_without_params_says_so():
    transform = l2_penalty(0.1)
    state = transform.init(ParamList([np.zeros(2)]))
    with pytest.raises(ValueError, match="'params' parameter of l2_penalty's update"):
        transform.update([np.zeros(2)], state, None)
