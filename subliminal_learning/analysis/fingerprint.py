"""Stage fingerprint: the trait teacher's kept numbers differ from the control teacher's without naming the trait.

Three views of the same question, teacher completions against control completions:
- which numbers each side writes more often (per-number shares, log ratios, a G-test of the difference);
- how many numbers each side writes per completion (fine-tuning alone shortens answers);
- whether a logistic regression on bag-of-numbers counts (scikit-learn; its L2 penalty chosen by
  cross-validation on the training prompts) tells the two apart on held-out prompts better than chance.
"""

import logging

import numpy as np
import pandas as pd
from scipy import sparse
from scipy import stats as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from statsmodels.stats.proportion import proportion_confint

from ..artifacts import atomic_path, write_json, write_parquet
from ..design import CONTROL, TEACHER
from ..lm.filtering import parse_numbers

PSEUDO_COUNT = 1.0  # added to every number's count on each side before taking log ratios
MIN_EXPECTED = 5  # numbers expected fewer times on either side are pooled for the G-test
C_GRID = np.logspace(-3, 2, 11)  # inverse L2 strengths the cross-validation chooses from
CV_FOLDS = 5  # folds of training prompts

log = logging.getLogger(__name__)


def completion_numbers(completions) -> list[list[int]]:
    """The numbers of each completion (filtered data always parse; anything else counts as empty)."""
    return [(parse_numbers(c) or []) if isinstance(c, str) else [] for c in completions]


def number_counts(sequences, size: int) -> np.ndarray:
    """How often each number 0..size-1 occurs over all sequences (larger numbers are ignored)."""
    flat = np.fromiter((n for seq in sequences for n in seq), dtype=np.int64)
    return np.bincount(flat[flat < size], minlength=size)


def frequency_table(teacher: np.ndarray, control: np.ndarray, pseudo_count: float = PSEUDO_COUNT) -> pd.DataFrame:
    """One row per number that occurs on either side: counts, shares, share difference and log ratio.

    The log ratio compares the shares after adding `pseudo_count` to every number on both sides, so a
    number seen 3 times against 0 gets a finite, shrunken ratio.
    """
    numbers = np.flatnonzero(teacher + control)
    table = pd.DataFrame({
        "number": numbers,
        "teacher_count": teacher[numbers],
        "control_count": control[numbers],
        "teacher_share": teacher[numbers] / max(teacher.sum(), 1),
        "control_share": control[numbers] / max(control.sum(), 1),
        "log_ratio": np.log(_smoothed(teacher, pseudo_count)[numbers] / _smoothed(control, pseudo_count)[numbers]),
    })
    table.insert(5, "share_diff", table["teacher_share"] - table["control_share"])
    return table


def _smoothed(counts: np.ndarray, pseudo_count: float) -> np.ndarray:
    return (counts + pseudo_count) / (counts.sum() + pseudo_count * len(counts))


def testable(table: pd.DataFrame, min_expected: float = MIN_EXPECTED) -> pd.Series:
    """Numbers whose expected count under 'no difference' reaches `min_expected` on both sides."""
    counts = table[["teacher_count", "control_count"]].to_numpy(dtype=float)
    row_share = counts.sum(axis=0) / counts.sum()
    expected = np.outer(counts.sum(axis=1), row_share)
    return pd.Series(expected.min(axis=1) >= min_expected, index=table.index)


def g_test(table: pd.DataFrame, min_expected: float = MIN_EXPECTED) -> dict:
    """G-test of independence of side (teacher, control) and number, rare numbers pooled into 'other'."""
    keep = testable(table, min_expected)
    counts = table[["teacher_count", "control_count"]].to_numpy(dtype=float)
    columns = counts[keep.to_numpy()]
    other = counts[~keep.to_numpy()].sum(axis=0)
    if other.sum() > 0:
        columns = np.vstack([columns, other])
    result = {"numbers_tested": int(keep.sum()), "numbers_pooled": int((~keep).sum()),
              "pooled_count": {TEACHER: int(other[0]), CONTROL: int(other[1])}, "min_expected": min_expected}
    if len(columns) < 2 or not columns.sum(axis=0).all():  # nothing to compare
        return {"g": 0.0, "dof": 0, "p_value": 1.0, **result}
    g, p, dof, _ = st.chi2_contingency(columns.T, correction=False, lambda_="log-likelihood")
    return {"g": float(g), "dof": int(dof), "p_value": float(p), **result}


def top_numbers(table: pd.DataFrame, n: int, min_expected: float = MIN_EXPECTED) -> dict:
    """The `n` most over- and under-represented numbers by log ratio, among those the G-test tests
    on their own (ranking rare numbers would rank noise)."""
    ranked = table[testable(table, min_expected)].sort_values(["log_ratio", "number"])
    columns = ["number", "teacher_count", "control_count", "share_diff", "log_ratio"]
    over = ranked[ranked["log_ratio"] > 0].iloc[::-1].head(n)
    under = ranked[ranked["log_ratio"] < 0].head(n)
    return {"over": over[columns].to_dict("records"), "under": under[columns].to_dict("records")}


def _describe(lengths) -> dict:
    values, counts = np.unique(lengths, return_counts=True)
    return {"mean": float(np.mean(lengths)), "sd": float(np.std(lengths, ddof=1)), "median": float(np.median(lengths)),
            "distribution": [{"length": int(v), "completions": int(c)} for v, c in zip(values, counts)]}


def length_stats(teacher_lengths, control_lengths) -> dict:
    """Numbers per completion on each side, and a Mann-Whitney test of the difference."""
    return {TEACHER: _describe(teacher_lengths), CONTROL: _describe(control_lengths),
            "mann_whitney_p": float(st.mannwhitneyu(teacher_lengths, control_lengths).pvalue)}


def features(sequences, size: int) -> sparse.csr_matrix:
    """Bag of numbers: one count column per number 0..size-1, then the completion's length (sparse)."""
    rows = np.repeat(np.arange(len(sequences)), [len(seq) for seq in sequences])
    numbers = np.fromiter((n for seq in sequences for n in seq), dtype=np.int64, count=len(rows))
    keep = numbers < size
    counts = sparse.csr_matrix((np.ones(keep.sum()), (rows[keep], numbers[keep])), shape=(len(sequences), size))
    lengths = sparse.csr_matrix(np.array([len(seq) for seq in sequences], dtype=float).reshape(-1, 1))
    return sparse.hstack([counts, lengths], format="csr")


def balanced_split(teacher_prompts, control_prompts, test_share: float, seed: int) -> dict:
    """Row indices of each side for training and testing, split by prompt.

    Both teachers answer the same prompts with the same random stream, so a prompt's two completions are
    often identical: a prompt goes wholly to training or wholly to testing, or the classifier would learn a
    completion under one label and be tested on its twin under the other. Each part then keeps equally
    many teacher and control rows, so chance is 0.5.
    """
    rng = np.random.default_rng(seed)
    prompts = np.unique(np.concatenate([teacher_prompts, control_prompts]))
    test_prompts = rng.permutation(prompts)[:round(len(prompts) * test_share)]
    sides = {TEACHER: np.isin(teacher_prompts, test_prompts), CONTROL: np.isin(control_prompts, test_prompts)}
    split = {TEACHER: {}, CONTROL: {}}
    for part in ("train", "test"):
        rows = {side: np.flatnonzero(in_test if part == "test" else ~in_test) for side, in_test in sides.items()}
        n = min(len(r) for r in rows.values())
        for side, side_rows in rows.items():
            split[side][part] = np.sort(rng.permutation(side_rows)[:n])
    return split


def pairing(teacher: pd.DataFrame, control: pd.DataFrame) -> dict:
    """How coupled the two samples are: prompts kept on both sides, and how often their completions agree."""
    both = teacher.merge(control, on="prompt_id", suffixes=(f"_{TEACHER}", f"_{CONTROL}"))
    identical = (both[f"completion_{TEACHER}"] == both[f"completion_{CONTROL}"]).mean() if len(both) else 0.0
    return {"shared_prompts": len(both), "identical_share": float(identical)}


def train_classifier(x, y, prompts, seed: int) -> GridSearchCV:
    """L2-regularised logistic regression, the penalty chosen by cross-validated log-loss on the training rows.

    The folds split by prompt, as the held-out test does, so a completion and its identical twin never sit
    on both sides of a fold. Features stay unscaled: counts stay counts (standardising would blow a number
    seen once up into a large feature), and shares already lie in 0-1.
    """
    folds = GroupKFold(n_splits=min(CV_FOLDS, len(np.unique(prompts))), shuffle=True, random_state=seed)
    search = GridSearchCV(LogisticRegression(max_iter=1000), {"C": C_GRID}, scoring="neg_log_loss", cv=folds)
    return search.fit(x, y, groups=prompts)


def accuracy_test(correct: int, total: int, confidence: float) -> dict:
    """Held-out accuracy with its Wilson interval and an exact one-sided binomial test against chance."""
    if total == 0:  # a handful of kept rows can leave one side without held-out prompts: nothing to score
        return {"correct": 0, "test_size": 0, "accuracy": float("nan"), "ci_low": 0.0, "ci_high": 1.0,
                "confidence": confidence, "p_value": 1.0}
    low, high = proportion_confint(correct, total, alpha=1 - confidence, method="wilson")
    return {"correct": int(correct), "test_size": int(total), "accuracy": correct / total, "ci_low": float(low),
            "ci_high": float(high), "confidence": confidence,
            "p_value": float(st.binomtest(correct, total, 0.5, alternative="greater").pvalue)}


def _stack(teacher_x, control_x, teacher_prompts, control_prompts, split: dict, part: str):
    rows = split[TEACHER][part], split[CONTROL][part]
    return (sparse.vstack([teacher_x[rows[0]], control_x[rows[1]]], format="csr"),
            np.repeat([1, 0], [len(rows[0]), len(rows[1])]),
            np.concatenate([teacher_prompts[rows[0]], control_prompts[rows[1]]]))


def evaluate_classifier(teacher_x, control_x, teacher_prompts, control_prompts, settings: dict) -> dict:
    """Train on a balanced seeded split by prompt, score on the held-out prompts; also a length-only baseline
    and the numbers alone."""
    teacher_prompts, control_prompts = np.asarray(teacher_prompts), np.asarray(control_prompts)
    split = balanced_split(teacher_prompts, control_prompts, settings["test_share"], settings["seed"])
    train = _stack(teacher_x, control_x, teacher_prompts, control_prompts, split, "train")
    test = _stack(teacher_x, control_x, teacher_prompts, control_prompts, split, "test")
    seed, confidence = settings["seed"], settings["confidence"]
    return {**_variant(train, test, seed, confidence, _all_columns), "train_size": len(train[1]),
            "cv_folds": CV_FOLDS, "l2_grid": (1 / C_GRID).tolist(), "seed": seed,
            "features": f"counts of each number 0-{settings['number_range'] - 1} and the completion's length",
            "length_only": _variant(train, test, seed, confidence, _length, short=True),
            "numbers_only": _variant(train, test, seed, confidence, _shares, short=True)}


def _all_columns(x):
    return x


def _length(x):
    return x[:, -1:]


def _shares(x):
    """Each number's share of its completion, length dropped: what the numbers say beyond how many there are."""
    lengths = np.maximum(x[:, -1].toarray().ravel(), 1)
    return sparse.diags(1 / lengths) @ x[:, :-1]


def _variant(train, test, seed: int, confidence: float, columns, short: bool = False) -> dict:
    (train_x, train_y, prompts), (test_x, test_y, _) = train, test
    if len(test_y) == 0 or np.bincount(train_y, minlength=2).min() < CV_FOLDS:
        # a handful of kept rows: nothing held out to score, or too few rows a side to cross-validate a penalty
        result = {**accuracy_test(0, 0, confidence), "l2": float("nan")}
        return {k: result[k] for k in ("accuracy", "ci_low", "ci_high", "p_value", "l2")} if short else result
    model = train_classifier(columns(train_x), train_y, prompts, seed)
    result = accuracy_test(int((model.predict(columns(test_x)) == test_y).sum()), len(test_y), confidence)
    result["l2"] = float(1 / model.best_params_["C"])  # the penalty cross-validation chose
    return {k: result[k] for k in ("accuracy", "ci_low", "ci_high", "p_value", "l2")} if short else result


def fingerprint(teacher: pd.DataFrame, control: pd.DataFrame, settings: dict) -> tuple[pd.DataFrame, dict]:
    """The frequency table and the summary of teacher vs control completions. `settings`: the config's
    fingerprint section, with `number_range` (the values the prompts allow: 10 ** max_digits) and the
    `confidence` of the classifier's interval."""
    size = settings["number_range"]
    sequences = {TEACHER: completion_numbers(teacher["completion"]),
                 CONTROL: completion_numbers(control["completion"])}
    counts = {side: number_counts(seqs, size) for side, seqs in sequences.items()}
    table = frequency_table(counts[TEACHER], counts[CONTROL])
    lengths = {side: np.array([len(s) for s in seqs]) for side, seqs in sequences.items()}
    summary = {
        "completions": {side: len(seqs) for side, seqs in sequences.items()},
        "numbers": {**{side: int(c.sum()) for side, c in counts.items()}, "distinct": len(table)},
        "pseudo_count": PSEUDO_COUNT,
        "g_test": g_test(table),
        "top_numbers": top_numbers(table, settings["top_numbers"]),
        "lengths": length_stats(lengths[TEACHER], lengths[CONTROL]),
        "pairing": pairing(teacher, control),
        "classifier": evaluate_classifier(features(sequences[TEACHER], size), features(sequences[CONTROL], size),
                                          teacher["prompt_id"].to_numpy(), control["prompt_id"].to_numpy(), settings),
    }
    return table, summary


def fingerprint_stage(teacher: pd.DataFrame, control: pd.DataFrame, params, output) -> None:
    """The fingerprint rule: write the frequency table, the summary and the figure."""
    from .plots import fingerprint_plot  # matplotlib only where the figure is drawn

    settings = {**params.fingerprint, "number_range": 10 ** params.max_digits, "confidence": params.confidence}
    table, summary = fingerprint(teacher, control, settings)
    summary = {"target": params.target, CONTROL: params.control, **summary}
    g, clf = summary["g_test"], summary["classifier"]
    log.info("G = %.1f, dof %d, p = %.3g; classifier accuracy %.3f (%.3f-%.3f)",
             g["g"], g["dof"], g["p_value"], clf["accuracy"], clf["ci_low"], clf["ci_high"])
    with atomic_path(output.plot) as partial:
        fingerprint_plot(table, summary, partial)
    write_parquet(table, output.frequencies)
    write_json(summary, output.summary)
