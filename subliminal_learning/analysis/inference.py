"""The statistical tests behind the verdict, each usable on its own.

Seeds pair students across arms (same seed, same data order), so the paired tests work on per-seed
differences; the GLMs work on the answers and questions themselves, with standard errors clustered
by seed (see `cluster_glm`): a seed's answers, of its treated and its control student, are not independent.
"""

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as st
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.proportion import proportion_confint

NAN = float("nan")


def t_interval(values, confidence: float) -> tuple[float, float, float]:
    """Mean and its t-interval (the paper's across-seed interval)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean()) if len(values) else NAN
    if len(values) < 2:
        return mean, NAN, NAN
    half = st.t.ppf(0.5 + confidence / 2, len(values) - 1) * st.sem(values)
    return mean, mean - half, mean + half


def ratio_interval(numerators, denominators, confidence: float) -> tuple[float, float, float]:
    """The ratio of two paired means (mean numerator / mean denominator over the same replicates) and Fieller's
    interval: every ratio r for which the paired t-test of numerator - r x denominator does not reject.

    Unbounded (-inf, inf) when the denominator's mean is not clearly away from 0 at this confidence: then no
    finite interval holds the ratio (a share of a shift that may be nothing).
    """
    a, b = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    n = len(a)
    estimate = float(a.mean() / b.mean()) if n and b.mean() != 0 else NAN
    if n < 2:
        return estimate, NAN, NAN
    t2 = st.t.ppf(0.5 + confidence / 2, n - 1) ** 2
    cov = np.cov(a, b) / n  # variances and covariance of the two means
    quad = b.mean() ** 2 - t2 * cov[1, 1]
    half = a.mean() * b.mean() - t2 * cov[0, 1]
    const = a.mean() ** 2 - t2 * cov[0, 0]
    disc = half**2 - quad * const
    if quad <= 0 or disc < 0:
        return estimate, -math.inf, math.inf
    root = math.sqrt(disc)
    return estimate, float((half - root) / quad), float((half + root) / quad)


def wilson_interval(hits: int, total: int, confidence: float) -> tuple[float, float, float]:
    """Pooled proportion and its Wilson interval (sound near 0 and 1, where the normal one is not)."""
    if total == 0:
        return NAN, NAN, NAN
    low, high = proportion_confint(hits, total, alpha=1 - confidence, method="wilson")
    # The Wilson bound is exactly 0 with no hits (1 with all); statsmodels leaves rounding dust there.
    return hits / total, 0.0 if hits == 0 else float(low), 1.0 if hits == total else float(high)


def paired_t(diffs, confidence: float) -> dict:
    """One-sample t-test of per-seed differences against 0."""
    diffs = np.asarray(diffs, dtype=float)
    mean, low, high = t_interval(diffs, confidence)
    if len(diffs) < 2 or np.ptp(diffs) == 0:
        statistic, p = NAN, NAN
    else:
        test = st.ttest_1samp(diffs, 0.0)
        statistic, p = float(test.statistic), float(test.pvalue)
    # a continuous test: any p is attainable from two differences on
    return {"estimate": mean, "ci_low": low, "ci_high": high, "statistic": statistic, "p_value": p,
            "min_p": 0.0 if len(diffs) >= 2 else 1.0}


def sign_flip_test(diffs, max_exact: int = 16, draws: int = 100_000, seed: int = 0) -> dict:
    """Permutation test of paired differences (scipy's, permuting within pairs): under the null each
    difference is as likely to have either sign, so the observed mean is compared with the means of
    all 2^n sign flips.

    Two-sided; needs no normality. With n seeds the smallest attainable p is 2 / 2^n.
    Beyond `max_exact` seeds, `draws` seeded random flips estimate the same p (never 0).
    """
    diffs = np.asarray(diffs, dtype=float)
    n = len(diffs)
    if n == 0:
        return {"estimate": NAN, "statistic": NAN, "p_value": NAN, "min_p": NAN}
    if n == 1:  # both flips reach |mean| (scipy needs two observations)
        return {"estimate": float(diffs[0]), "statistic": float(diffs[0]), "p_value": 1.0, "min_p": 1.0}
    exact = n <= max_exact
    test = st.permutation_test((diffs,), np.mean, permutation_type="samples", vectorized=True,
                               n_resamples=2 ** n if exact else draws, rng=seed)
    return {"estimate": float(diffs.mean()), "statistic": float(test.statistic), "p_value": float(test.pvalue),
            "min_p": 2 / 2 ** n if exact else 2 / (draws + 1)}


def cluster_glm(outcome, treated, clusters, confidence: float) -> dict:
    """Binomial GLM (logit link) of `outcome` on a treated indicator, with cluster-robust standard
    errors. `outcome` is 0/1 per answer or a probability per question (a fractional logit).
    Returns the odds ratio treated / reference with its interval.

    The stats stage clusters by seed: a seed's treated and control students share their data
    order, so their answers are correlated; a seed cluster holds both students' answers, which
    keeps the pairing that clustering by student alone would ignore (and be conservative about).

    Not estimable (NaN, with a note) when one arm never or always shows the outcome: the odds ratio
    is then 0 or infinite and no interval exists.
    """
    outcome = np.asarray(outcome, dtype=float)
    treated = np.asarray(treated, dtype=float)
    for label, arm in (("treated arm", treated == 1), ("reference arm", treated == 0)):
        total = outcome[arm].sum()
        if total <= 0 or total >= arm.sum():
            return {"estimate": NAN, "ci_low": NAN, "ci_high": NAN, "statistic": NAN, "p_value": NAN,
                    "note": f"not estimable: the {label} has {'no' if total <= 0 else 'only'} hits"}
    if outcome[treated == 1].mean() == outcome[treated == 0].mean():
        return {"estimate": 1.0, "ci_low": NAN, "ci_high": NAN, "statistic": 0.0, "p_value": 1.0,
                "min_p": 0.0, "note": "both arms have the same outcome rate"}
    design = sm.add_constant(treated)
    groups = pd.factorize(np.asarray(clusters))[0]
    # t rather than normal reference distribution (df = clusters - 1): few clusters make the
    # sandwich estimator optimistic.
    fit = sm.GLM(outcome, design, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    low, high = fit.conf_int(alpha=1 - confidence)[1]
    return {"estimate": math.exp(fit.params[1]), "ci_low": math.exp(low), "ci_high": math.exp(high),
            "statistic": float(fit.tvalues[1]), "p_value": float(fit.pvalues[1]), "min_p": 0.0, "note": ""}


def smallest_holm_p(min_p, family_size):
    """The smallest Holm-adjusted p that a test whose own smallest attainable p is `min_p` can reach in a family
    of `family_size` tests: Holm multiplies the smallest p by the family's size, and every other adjusted p is
    at least that. A test whose `smallest_holm_p` is not below alpha cannot reject at the run's size."""
    family = np.maximum(np.asarray(family_size, dtype=float), 1.0)  # a test with no p of its own still counts
    return np.minimum(1.0, family * np.asarray(min_p, dtype=float))


def sign_flip_replicates_needed(family_size: int, alpha: float) -> int:
    """The fewest paired differences with which an exact sign-flip test can reject at `alpha` after Holm over
    `family_size` tests (all differences of one sign give p = 2 / 2^n)."""
    return max(2, math.floor(math.log2(2 * family_size / alpha)) + 1)


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values (family-wise error control); NaN p-values stay NaN and do not count.

    The k-th smallest of m p-values is multiplied by m - k + 1, then made monotone. (Written out
    because statsmodels 0.15's multipletests runs a full garbage collection on every call: 72 ms per call
    against 0.008 ms here, measured with 8 p-values in a process holding pandas and statsmodels; the
    simulation tests call it hundreds of times. tests/test_stats.py checks both agree.)
    """
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p_values, NAN)
    present = np.flatnonzero(~np.isnan(p_values))
    order = present[np.argsort(p_values[present], kind="stable")]
    scaled = p_values[order] * (len(order) - np.arange(len(order)))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def paired_mdd(sd: float, n: int, alpha: float, power: float) -> float:
    """The smallest paired mean difference a two-sided paired t-test detects with `power`,
    given the sd of the per-seed differences."""
    if n < 2 or not sd > 0:
        return NAN
    effect = TTestPower().solve_power(nobs=n, alpha=alpha, power=power, alternative="two-sided")
    return float(effect * sd)


def paired_power(effect: float, sd: float, n: int, alpha: float) -> float:
    """Power of the paired t-test to detect a mean difference `effect`."""
    if n < 2 or not sd > 0:
        return NAN
    power = float(TTestPower().power(effect_size=abs(effect) / sd, nobs=n, alpha=alpha))
    if np.isnan(power):
        # statsmodels 0.15 returns NaN for some very large effects (effect size 20 at n = 5, measured): there the
        # noncentrality is tens of critical values and the normal approximation of the power is exact to print
        noncentrality = abs(effect) / sd * np.sqrt(n)
        power = float(st.norm.sf(st.t.isf(alpha / 2, n - 1) - noncentrality))
    return power


def rate_mdd(base_rate: float, answers_per_arm: int, alpha: float, power: float) -> float:
    """The smallest increase over `base_rate` of a sampled rate that a two-proportion test detects.

    Treats answers as independent, so it is optimistic when students differ: a floor, not a promise.
    """
    if answers_per_arm < 1 or np.isnan(base_rate):
        return NAN
    h = NormalIndPower().solve_power(nobs1=answers_per_arm, alpha=alpha, power=power, ratio=1.0)
    angle = 2 * math.asin(math.sqrt(base_rate)) + h  # Cohen's h = 2 asin sqrt(p1) - 2 asin sqrt(p0)
    return (math.sin(min(angle, math.pi) / 2) ** 2) - base_rate
