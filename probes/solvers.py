"""L2-regularized logistic regression for many problems at once (one per layer), in torch.

All problems share the labels and differ in their features. Each runs Newton's method (IRLS)
with its own Hessian, batched with ``bmm``, and a backtracking line search per problem (a full
Newton step can overshoot on nearly separable data at large C and diverge); this replaces a
Python loop of scikit-learn fits and minimizes the same objective as
``sklearn.linear_model.LogisticRegression(C=C)``.

Example:
    >>> w, b = fit_logistic(torch.randn(30, 2000, 576), torch.randint(0, 2, (2000,)), C=1.0)
    >>> w.shape, b.shape
    (torch.Size([30, 576]), torch.Size([30]))
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor


def fit_logistic(
    x: Float[Tensor, "problem n d"],
    y: Int[Tensor, " n"],
    C: float = 1.0,
    max_iter: int = 50,
    tol: float = 1e-4,
) -> tuple[Float[Tensor, "problem d"], Float[Tensor, " problem"]]:
    """Weights and intercepts minimizing ``C * sum(log loss) + ||w||^2 / 2`` for each problem.

    The intercept is not penalized. Stops when no Newton step changes a weight by more than
    `tol` (relative to the largest weight), or after `max_iter` steps. Newton converges
    quadratically, so the step after one of size `tol` is far below float32 resolution; a
    smaller `tol` only adds steps at float32's noise floor (~1e-6).
    """
    if C <= 0:
        raise ValueError(f"C must be > 0, got {C}")
    bad = (~torch.isfinite(x)).flatten(1).any(1).nonzero().flatten().tolist()
    if bad:
        raise ValueError(f"features of problem(s) {bad} hold NaN or inf; the fit needs finite features")
    n_problems, n, d = x.shape
    features = torch.cat([x, torch.ones(n_problems, n, 1)], dim=2)  # intercept as a last column
    penalty = torch.ones(d + 1)
    penalty[-1] = 0.0
    ridge = torch.diag(penalty + 1e-6)  # the tiny term keeps the intercept's block invertible
    target = y.float()
    params = torch.zeros(n_problems, d + 1)
    loss = _objective(features, target, params, penalty, C)
    for _ in range(max_iter):
        prob = torch.sigmoid(torch.einsum("pnd,pd->pn", features, params))
        grad = C * torch.einsum("pnd,pn->pd", features, prob - target) + penalty * params
        weight = C * prob * (1 - prob)
        hessian = torch.bmm((features * weight[..., None]).transpose(1, 2), features) + ridge
        if not bool(torch.isfinite(hessian).all()):
            raise ValueError("the logistic fit's Hessian became NaN or inf; report this with the data")
        step = _spd_solve(hessian.double(), grad.double()).float()
        scale, loss = _backtrack(features, target, params, penalty, C, step, grad, loss)
        step = step * scale[:, None]
        params -= step
        if step.abs().max() <= tol * max(1.0, float(params.abs().max())):
            break
    return params[:, :d], params[:, d]


def _spd_solve(a: Float[Tensor, "p k k"], b: Float[Tensor, "p k"]) -> Float[Tensor, "p k"]:
    """``a^-1 b`` for symmetric positive definite `a` (the penalized Hessian), by Cholesky.

    Not the batched LU of ``torch.linalg.solve``: with torch 2.13's CPU build (oneMKL), once the
    thread count has been changed in a process (``torch.set_num_threads(1)`` and back), batched LU
    fails ("Pivots given to lu_solve must all be greater or equal to 1"); Cholesky does not. A
    matrix that is not numerically positive definite falls back to LU one problem at a time.
    """
    factor, info = torch.linalg.cholesky_ex(a)
    out = torch.cholesky_solve(b[..., None], factor)[..., 0]
    for i in info.nonzero().flatten().tolist():
        out[i] = torch.linalg.solve(a[i], b[i])
    return out


def _objective(features, target, params, penalty, C) -> Float[Tensor, " problem"]:
    logits = torch.einsum("pnd,pd->pn", features, params).double()
    log_loss = (torch.nn.functional.softplus(logits) - target.double() * logits).sum(-1)
    return C * log_loss + 0.5 * (penalty * params.double() ** 2).sum(-1)


def _backtrack(features, target, params, penalty, C, step, grad, loss, halvings: int = 30):
    """Per problem, the largest step fraction 2^-k that decreases the objective enough (Armijo)."""
    scale = torch.ones(len(params))
    slope = (grad.double() * step.double()).sum(-1)  # directional decrease of a full step
    new = _objective(features, target, params - step, penalty, C)
    for _ in range(halvings):
        bad = new > loss - 1e-4 * scale.double() * slope
        if not bool(bad.any()):
            break
        scale = torch.where(bad, scale / 2, scale)
        new = torch.where(bad, _objective(features, target, params - step * scale[:, None], penalty, C), new)
    return scale, torch.minimum(new, loss)
