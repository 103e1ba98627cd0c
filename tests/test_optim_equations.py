"""Each gradient transformation against its update equations, written out here in NumPy.

The references below are the papers' equations (see each transformation's
docstring), computed one array at a time in plain loops; the transformations
run on a ParamList of two arrays, as they do inside `fit`.
"""

import numpy as np
import pytest

from mlplab.optim import (
    ParamList,
    adadelta,
    adagrad,
    adam,
    adamw,
    add_decayed_weights,
    asgd,
    chain,
    clip_by_global_norm,
    clip_by_value,
    exponential_decay,
    l1_penalty,
    l2_penalty,
    rmsprop,
    rprop,
    scale_by_adadelta,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_adamax,
    scale_by_momentum,
    scale_by_nadam,
    scale_by_radam,
    scale_by_rms,
    sgd,
    step_decay,
)

rng = np.random.default_rng(42)
PARAMS = ParamList([rng.normal(size=(2, 3)), rng.normal(size=3)])
PARAMS[1][0] = 0.0  # a weight at exactly zero, where sign(W) = 0
GRADS = [[rng.normal(size=(2, 3)), rng.normal(size=3)] for _ in range(5)]


def run(transform, grads_seq=GRADS, params=PARAMS):
    """The updates after each step, and the final state (parameters held fixed)."""
    state = transform.init(params)
    steps = []
    for grads in grads_seq:
        updates, state = transform.update(grads, state, params)
        steps.append(updates)
    return steps, state


def assert_steps(steps, reference, rtol=1e-13):
    """reference(i) yields the expected update of array i at each step."""
    for i in range(len(PARAMS)):
        for t, expected in enumerate(reference(i)):
            np.testing.assert_allclose(steps[t][i], expected, rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_follows_polyak_and_sutskever(nesterov):
    mu = 0.8
    steps, state = run(scale_by_momentum(mu, nesterov=nesterov))

    def reference(i):
        b = np.zeros_like(PARAMS[i])
        for grads in GRADS:
            g = grads[i]
            b = mu * b + g
            yield g + mu * b if nesterov else b

    assert_steps(steps, reference)
    np.testing.assert_array_equal(steps[0][1], GRADS[0][1] * (1 + mu if nesterov else 1))
    assert repr(state).startswith("MomentumState(velocity=(array(")


def test_sgd_options_apply_weight_decay_then_nesterov_momentum_then_alpha():
    alpha, mu, wd = 0.1, 0.7, 0.05
    steps, _ = run(sgd(alpha, momentum=mu, nesterov=True, weight_decay=wd))

    def reference(i):
        b = 0.0
        for grads in GRADS:
            g = grads[i] + wd * PARAMS[i]
            b = mu * b + g
            yield -alpha * (g + mu * b)

    assert_steps(steps, reference)


def test_plain_sgd_is_minus_alpha_times_the_gradient_bit_for_bit():
    steps, _ = run(sgd(0.3))
    for t, grads in enumerate(GRADS):
        for u, g in zip(steps[t], grads, strict=True):
            np.testing.assert_array_equal(u, -0.3 * g)


def test_adagrad_divides_by_root_of_summed_squares():
    eps, G0 = 1e-3, 0.2
    steps, state = run(scale_by_adagrad(eps, G0))

    def reference(i):
        G = np.full_like(PARAMS[i], G0)
        for grads in GRADS:
            G = G + grads[i] ** 2
            yield grads[i] / (np.sqrt(G) + eps)

    assert_steps(steps, reference)
    # One step from G_0 = 0: g / (|g| + eps), a step of just under alpha for every weight.
    first, _ = run(adagrad(0.5, eps=1e-10), GRADS[:1])
    g = GRADS[0][0]
    np.testing.assert_allclose(first[0][0], -0.5 * g / (np.abs(g) + 1e-10), rtol=1e-15)
    assert repr(state).startswith("AdagradState(sum_of_squares=")


def test_adadelta_follows_zeiler_algorithm_1():
    rho, eps = 0.95, 1e-4
    steps, _ = run(scale_by_adadelta(rho, eps))

    def reference(i):
        Eg = Edx = np.zeros_like(PARAMS[i])
        for grads in GRADS:
            g = grads[i]
            Eg = rho * Eg + (1 - rho) * g**2
            dx = np.sqrt(Edx + eps) / np.sqrt(Eg + eps) * g
            Edx = rho * Edx + (1 - rho) * dx**2
            yield dx

    assert_steps(steps, reference)


def test_adadelta_learning_rate_scales_the_step_but_not_its_history():
    plain, _ = run(adadelta(1.0))
    halved, _ = run(adadelta(0.5))
    for a, b in zip(plain[-1], halved[-1], strict=True):
        np.testing.assert_allclose(b, 0.5 * a, rtol=1e-15)


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_divides_by_running_root_mean_square(centered):
    decay, eps = 0.9, 1e-6
    steps, state = run(scale_by_rms(decay, eps, centered=centered))

    def reference(i):
        v = m = np.zeros_like(PARAMS[i])
        for grads in GRADS:
            g = grads[i]
            v = decay * v + (1 - decay) * g**2
            m = decay * m + (1 - decay) * g
            yield g / (np.sqrt(v - m**2 if centered else v) + eps)

    assert_steps(steps, reference, rtol=1e-12)
    assert len(state.mean_grad) == (2 if centered else 0)


def test_rmsprop_momentum_accumulates_the_scaled_gradients():
    decay, eps, mu, alpha = 0.99, 1e-8, 0.6, 0.01
    steps, _ = run(rmsprop(alpha, decay=decay, eps=eps, momentum=mu))

    def reference(i):
        v = b = np.zeros_like(PARAMS[i])
        for grads in GRADS:
            g = grads[i]
            v = decay * v + (1 - decay) * g**2
            b = mu * b + g / (np.sqrt(v) + eps)
            yield -alpha * b

    assert_steps(steps, reference)


def test_adam_follows_kingma_and_ba_algorithm_1():
    b1, b2, eps = 0.8, 0.95, 1e-3
    steps, state = run(scale_by_adam(b1, b2, eps))

    def reference(i):
        m = v = np.zeros_like(PARAMS[i])
        for t, grads in enumerate(GRADS, start=1):
            g = grads[i]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            yield m_hat / (np.sqrt(v_hat) + eps)

    assert_steps(steps, reference)
    assert state.count == len(GRADS) and repr(state).startswith("AdamState(count=5, mu=(")


def test_amsgrad_divides_by_the_largest_second_moment_so_far():
    b1, b2, eps = 0.8, 0.95, 1e-3
    # Gradients that shrink after the first steps, so v_t falls below its running maximum.
    grads = [[g * (3.0 if t < 2 else 0.1) for g in step] for t, step in enumerate(GRADS)]
    steps, state = run(scale_by_adam(b1, b2, eps, amsgrad=True), grads)

    def reference(i):
        m = v = v_max = np.zeros_like(PARAMS[i])
        for t, step in enumerate(grads, start=1):
            g = step[i]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            v_max = np.maximum(v_max, v)  # torch.optim.Adam(amsgrad=True)
            yield m / (1 - b1**t) / (np.sqrt(v_max / (1 - b2**t)) + eps)

    assert_steps(steps, reference)
    assert len(state.nu_max) == 2 and np.all(state.nu_max[0] >= state.nu[0])
    assert np.any(state.nu_max[0] > state.nu[0])  # the maximum did hold the step back
    assert run(scale_by_adam())[1].nu_max == ()  # off by default: no extra state


def test_nadam_follows_dozat_with_torchs_momentum_schedule():
    b1, b2, eps, decay = 0.8, 0.95, 1e-3, 0.3
    steps, state = run(scale_by_nadam(b1, b2, eps, decay))

    def mu(t):
        return b1 * (1 - 0.5 * 0.96 ** (t * decay))

    def reference(i):
        m = v = np.zeros_like(PARAMS[i])
        for t, grads in enumerate(GRADS, start=1):
            g = grads[i]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            product = np.prod([mu(s) for s in range(1, t + 1)])
            m_bar = ((1 - mu(t)) * g / (1 - product)
                     + mu(t + 1) * m / (1 - product * mu(t + 1)))
            yield m_bar / (np.sqrt(v / (1 - b2**t)) + eps)

    assert_steps(steps, reference)
    assert state.count == len(GRADS)
    np.testing.assert_allclose(state.mu_product, np.prod([mu(t) for t in range(1, 6)]),
                               rtol=1e-15)


@pytest.mark.parametrize("b2", [0.95, 0.6])  # rectified from step 6; never (rho_inf = 4)
def test_radam_follows_liu_et_al_algorithm_2(b2):
    b1, eps = 0.8, 1e-3
    grads = GRADS + [[g[::-1] * 0.5 for g in step] for step in GRADS[:3]]  # 8 steps
    steps, _ = run(scale_by_radam(b1, b2, eps), grads)
    rho_inf = 2 / (1 - b2) - 1

    def reference(i):
        m = v = np.zeros_like(PARAMS[i])
        for t, step in enumerate(grads, start=1):
            g = step[i]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            m_hat = m / (1 - b1**t)
            rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
            if rho_t > 5:
                r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                              / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                yield r_t * m_hat * np.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
            else:
                yield m_hat

    assert_steps(steps, reference)


def test_adamax_follows_kingma_and_ba_section_7_1():
    b1, b2, eps = 0.8, 0.95, 1e-3
    grads = [[g * (3.0 if t < 2 else 0.1) for g in step] for t, step in enumerate(GRADS)]
    steps, state = run(scale_by_adamax(b1, b2, eps), grads)

    def reference(i):
        m = u = np.zeros_like(PARAMS[i])
        for t, step in enumerate(grads, start=1):
            g = step[i]
            m = b1 * m + (1 - b1) * g
            u = np.maximum(b2 * u, np.abs(g) + eps)
            yield m / ((1 - b1**t) * u)

    assert_steps(steps, reference)
    assert np.all(state.nu_inf[0] > np.abs(grads[-1][0]) + eps)  # the decayed max still rules


def test_adam_first_step_is_alpha_times_the_sign_of_the_gradient():
    first, _ = run(adam(0.01), GRADS[:1])
    for u, g in zip(first[0], GRADS[0], strict=True):
        np.testing.assert_allclose(u, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-14)


def test_adamw_decays_weights_outside_the_adaptive_scaling():
    alpha, wd = 0.01, 0.1
    adam_steps, _ = run(scale_by_adam())
    steps, _ = run(adamw(alpha, weight_decay=wd))

    def reference(i):
        for adam_step in adam_steps:
            yield -alpha * (adam_step[i] + wd * PARAMS[i])

    assert_steps(steps, reference)


def test_penalties_add_their_gradients():
    grads = GRADS[0]
    (l1,), _ = run(l1_penalty(0.3), [grads])
    (l2,), _ = run(l2_penalty(0.3), [grads])
    (decay,), _ = run(add_decayed_weights(0.3), [grads])
    for i, (g, p) in enumerate(zip(grads, PARAMS, strict=True)):
        np.testing.assert_allclose(l1[i], g + 0.3 * np.sign(p), rtol=1e-15)
        np.testing.assert_allclose(l2[i], g + 0.3 * p, rtol=1e-15)
        np.testing.assert_allclose(decay[i], g + 0.3 * p, rtol=1e-15)
    assert l1[1][0] == grads[1][0]  # the weight at zero feels no L1 pull


def test_l2_penalty_before_sgd_shrinks_weights_in_proportion():
    zero = [np.zeros_like(p) for p in PARAMS]
    (updates,), _ = run(chain(l2_penalty(0.5), sgd(0.1)), [zero])
    for u, p in zip(updates, PARAMS, strict=True):
        np.testing.assert_allclose(p + u, 0.95 * p, rtol=1e-15)


def test_clip_by_value_trims_each_entry():
    grads = [np.array([-3.0, -0.5, 0.0, 0.2, 7.0])]
    (clipped,), _ = run(clip_by_value(1.0), [grads], ParamList([np.zeros(5)]))
    np.testing.assert_array_equal(clipped[0], [-1.0, -0.5, 0.0, 0.2, 1.0])


def test_clip_by_global_norm_rescales_the_whole_gradient():
    params = ParamList([np.zeros(2), np.zeros(1)])
    grads = [np.array([3.0, 4.0]), np.array([12.0])]  # norm 13
    (clipped,), state = run(clip_by_global_norm(6.5), [grads], params)
    np.testing.assert_allclose(clipped[0], [1.5, 2.0], rtol=1e-15)
    np.testing.assert_allclose(clipped[1], [6.0], rtol=1e-15)
    (kept,), _ = run(clip_by_global_norm(13.0), [grads], params)
    np.testing.assert_array_equal(kept[0], grads[0])
    assert repr(state) == "ClipByGlobalNormState(population_ndim=0)"


def test_clip_by_global_norm_takes_each_models_own_norm():
    params = ParamList([np.zeros((2, 2)), np.zeros((2, 1))], population=(2,))
    grads = [np.array([[0.3, 0.0], [3.0, 0.0]]), np.array([[0.4], [4.0]])]  # norms 0.5, 5
    (clipped,), state = run(clip_by_global_norm(np.array([1.0, 2.5])), [grads], params)
    np.testing.assert_array_equal(clipped[0][0], [0.3, 0.0])  # under its own threshold
    np.testing.assert_allclose(clipped[0][1], [1.5, 0.0], rtol=1e-15)  # halved to norm 2.5
    np.testing.assert_allclose(clipped[1][:, 0], [0.4, 2.0], rtol=1e-15)
    assert state.population_ndim == 1


@pytest.mark.parametrize(("norm_type", "norm"), [(1, 19.0), (2, 13.0), (float("inf"), 12.0),
                                                ("inf", 12.0)])
def test_clip_by_global_norm_takes_the_1_2_or_max_norm(norm_type, norm):
    params = ParamList([np.zeros(2), np.zeros(1)])
    grads = [np.array([3.0, -4.0]), np.array([12.0])]  # |g|_1 = 19, |g|_2 = 13, |g|_inf = 12
    (clipped,), _ = run(clip_by_global_norm(6.5, norm_type), [grads], params)
    for c, g in zip(clipped, grads, strict=True):
        np.testing.assert_allclose(c, g * 6.5 / norm, rtol=1e-15)
    (kept,), _ = run(clip_by_global_norm(norm, norm_type), [grads], params)
    assert all(np.array_equal(k, g) for k, g in zip(kept, grads, strict=True))


def test_rprop_grows_steps_that_keep_their_sign_and_waits_after_a_flip():
    params = ParamList([np.zeros(3)])
    grads = [[np.array([1.0, 1.0, 0.0])], [np.array([2.0, -1.0, 1.0])],
             [np.array([1.0, 3.0, 1.0])]]
    steps, state = run(rprop(0.1, etas=(0.5, 2.0), step_sizes=(0.0, 0.3)), grads, params)
    np.testing.assert_array_equal(steps[0][0], [-0.1, -0.1, 0.0])
    np.testing.assert_array_equal(steps[1][0], [-0.2, 0.0, -0.1])  # flipped: halve, no move
    # the flipped weight's stored gradient is 0, so its next step keeps its size (0.05)
    np.testing.assert_array_equal(steps[2][0], [-0.3, -0.05, -0.2])  # 0.4 capped at 0.3
    np.testing.assert_array_equal(state.step_size[0], [0.3, 0.05, 0.2])


def test_asgd_averages_the_iterates_after_t0():
    """With lambd 0 and alpha_power 0 the step is alpha; ax is the mean of W_{t0+2}, ..., W_t."""
    params = ParamList([np.array([1.0, -2.0])])
    optimizer = asgd(0.1, lambd=0.0, alpha_power=0.0, t0=2.0)
    state, iterates = optimizer.init(params), []
    for grads in GRADS:
        updates, state = optimizer.update([grads[1][:2]], state, params)
        np.testing.assert_array_equal(updates[0], -0.1 * grads[1][:2])
        params[0] += updates[0]
        iterates.append(params[0].copy())
    np.testing.assert_allclose(state.ax[0], np.mean(iterates[3:], axis=0), rtol=1e-14)
    assert state.count == len(GRADS)


def test_a_schedule_is_asked_for_step_0_1_2_in_turn():
    schedule = step_decay(0.1, 2, 0.5)
    steps, state = run(sgd(schedule))
    for t, grads in enumerate(GRADS):
        rate = 0.1 * 0.5 ** (t // 2)
        for u, g in zip(steps[t], grads, strict=True):
            np.testing.assert_allclose(u, -rate * g, rtol=1e-15)
    assert state.count == len(GRADS)


def test_adam_with_a_schedule_scales_only_the_learning_rate():
    fixed, _ = run(scale_by_adam())
    scheduled, _ = run(adam(exponential_decay(0.01, 0.9)))
    for t, (a, b) in enumerate(zip(fixed, scheduled, strict=True)):
        np.testing.assert_allclose(b[0], -0.01 * 0.9**t * a[0], rtol=1e-14)


ALL = {
    "sgd": sgd(0.1), "momentum": sgd(0.1, momentum=0.9, weight_decay=0.01),
    "adagrad": adagrad(), "adadelta": adadelta(), "rmsprop": rmsprop(centered=True, momentum=0.5),
    "adam": adam(step_decay(0.01, 2)), "adamw": adamw(), "amsgrad": adam(amsgrad=True),
    "clip": chain(clip_by_global_norm(0.5), clip_by_value(0.1), l1_penalty(0.1), sgd(0.1)),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_update_is_pure_and_keeps_float32(name):
    optimizer = ALL[name]
    params = ParamList([p.astype(np.float32) for p in PARAMS])
    grads = [[g.astype(np.float32) for g in step] for step in GRADS]
    saved_params, saved_grads = [p.copy() for p in params], [g.copy() for g in grads[0]]
    state = optimizer.init(params)
    state = optimizer.update(grads[0], state, params)[1]
    again = [optimizer.update(grads[1], state, params)[0] for _ in range(2)]
    for a, b in zip(*again, strict=True):  # the same state gives the same step: none was changed
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.float32
    for p, q in zip(params, saved_params, strict=True):
        np.testing.assert_array_equal(p, q)
    for g, h in zip(grads[0], saved_grads, strict=True):
        np.testing.assert_array_equal(g, h)
    assert all(leaf.dtype == np.float32 for leaf in state_arrays(state))


def state_arrays(tree):
    """Every array in a state tree of NamedTuples and tuples (as checkpoints walk it)."""
    if isinstance(tree, tuple | list):
        return [leaf for child in tree for leaf in state_arrays(child)]
    return [tree] if isinstance(tree, np.ndarray) else []


def test_centered_rmsprop_stays_finite_under_a_constant_gradient():
    # v - m**2 is 0 in exact arithmetic; for these values rounding takes it below 0.
    g = np.random.default_rng(0).uniform(size=(4, 5))
    steps, _ = run(scale_by_rms(0.5, 1e-8, centered=True), [[g]] * 60,
                   ParamList([np.zeros((4, 5))]))
    assert all(np.all(np.isfinite(step[0])) for step in steps)
