"""verdict.md: the stats stage's answer in words, then the tables behind it."""

import html
import re

import pandas as pd

from ..design import CONTROL, CROSS_INIT, PLACEBO, TREATED
from .inference import sign_flip_replicates_needed

EMPTY = pd.DataFrame()
PAPER_FILTER_SHARE = (0.23, 0.38)  # share of completions the paper's filter removed

ARM_COLUMNS = {
    "target": "target", "condition": "arm", "n_students": "students", "base_rate": "base p",
    "teacher_rate": "teacher p", "prob": "student p", "logodds": "log-odds",
    "sampled_rate": "sampled rate", "pooled_rate": "pooled rate", "pooled_rate_ci_low": "Wilson low",
    "pooled_rate_ci_high": "Wilson high",
}
TEST_COLUMNS = {
    "target": "target", "condition": "arm", "compared_with": "vs", "test": "test", "scale": "scale",
    "estimate": "estimate", "ci_low": "CI low", "ci_high": "CI high", "p_value": "p", "p_holm": "Holm p",
    "note": "note",
}


def outcome(row) -> str:
    """TRANSFER: a significant positive shift against control that (where the run has a placebo teacher) is
    also larger than the placebo teacher's shift on the same animal."""
    if getattr(row, "condition", None) == PLACEBO:  # a teacher without a trait: what it moves is not a transfer
        return "significant placebo shift" if row.significant else "no significant placebo shift"
    if row.significant and row.diff_vs_control > 0:
        exceeds = getattr(row, "exceeds_placebo", True)
        return "TRANSFER" if pd.isna(exceeds) or exceeds else "shift NOT larger than a placebo's"
    return "significant difference (negative)" if row.significant else "no significant transfer"


def _placebo_sentence(row, cfg: dict) -> str:
    """On a treated row: what the placebo teacher's students did to the same animal, and the test between them."""
    if pd.isna(getattr(row, "vs_placebo", float("nan"))):
        return ""
    reading = ("larger than the placebo's" if row.exceeds_placebo else
               "**not larger than what a placebo teacher does**")
    return (f" Placebo: the placebo teacher's students moved {row.target} by {row.placebo_shift:+.4f}; treated minus "
            f"placebo {row.vs_placebo:+.4f} ({cfg['confidence']:.0%} CI {row.vs_placebo_ci_low:+.4f} to "
            f"{row.vs_placebo_ci_high:+.4f}), Holm p over targets = {row.vs_placebo_p_holm:.2g}: {reading}.")


def _test_row(tests: pd.DataFrame, row, test: str) -> pd.Series | None:
    """One test of the comparison a summary row describes, or None where the run has no such test."""
    found = tests[(tests["target"] == row.target) & (tests["condition"] == row.condition) & (tests["test"] == test)]
    return None if found.empty else found.iloc[0]


def _glm_sentence(tests: pd.DataFrame, row) -> str:
    glm = _test_row(tests, row, "glm_answers")
    if glm is None:
        return ""
    if glm["note"]:
        return f" Sampled answers (GLM): {glm['note']}."
    return (f" Sampled answers (GLM, clustered by seed): odds ratio {glm['estimate']:.3f} "
            f"(CI {glm['ci_low']:.3f} to {glm['ci_high']:.3f}), Holm p = {glm['p_holm']:.2g}.")


def _sign_flip_sentence(tests: pd.DataFrame, row, alpha: float) -> str:
    """The sign-flip test's Holm p, or, where the run is too small for it to reach alpha whatever the data, that
    it cannot reject and how many replicates would let it."""
    flip = _test_row(tests, row, "sign_flip")
    if flip is None:
        return ""
    if flip["can_reject"]:
        return f" Sign-flip permutation Holm p = {flip['p_holm']:.2g}."
    family = int(flip["family_size"])
    return (f" Sign-flip permutation test: cannot reject at this size (its smallest p with {int(flip['seeds_paired'])} "
            f"replicates is {flip['min_p']:.2g}, so at least {flip['min_p_holm']:.2g} after Holm over {family} "
            f"comparisons, against alpha {alpha}; it needs {sign_flip_replicates_needed(family, alpha)} "
            "replicates).")


def underpowered(row, power: float) -> bool:
    """A null result from a run that had less than `power` (stats.power) for the shift the config expects."""
    return (not row.significant) and not (row.power_at_expected >= power)


def comparison_line(row, tests: pd.DataFrame, cfg: dict) -> str:
    text = (
        f"**{row.target}, {row.condition} vs {row.compared_with}: {outcome(row)}.** "
        f"Log-odds shift {row.diff_vs_control:+.4f} ({cfg['confidence']:.0%} CI {row.diff_ci_low:+.4f} to {row.diff_ci_high:+.4f}), "
        f"paired t = {row.t:.2f}, p = {row.p_value:.2g}, Holm p = {row.p_holm:.2g}, "
        f"{int(row.seeds_positive)}/{int(row.seeds_paired)} seeds positive."
        + _sign_flip_sentence(tests, row, cfg["alpha"])
        + _glm_sentence(tests, row)
        + f" Power: the smallest shift this run detects at {cfg['power']:.0%} power is {row.mdd_logodds:.4f} "
        f"log-odds; its power for the expected shift {cfg['expected_shift']:+.4f} is {row.power_at_expected:.2f}."
        f" Specificity: {row.target}'s shift ranks {int(row.target_rank)} of {int(row.n_animals)} animals "
        f"(1 = the largest increase; p = {row.specificity_p:.2f} that a random animal ranks as high)."
        + _placebo_sentence(row, cfg)
    )
    if underpowered(row, cfg['power']):
        more = ("cross-init replicates, each on another init (cross_init_replicates, base.cross_init_seeds)"
                if row.condition == CROSS_INIT else "seeds or evaluation questions")
        text += f" **Underpowered:** this null result cannot rule out the expected shift; add {more}."
    if row.condition == CROSS_INIT:
        text += (" One animal, with each replicate on its own other base (when there are several): a base "
                 "answers one teacher's numbers by an amount of its own, which its replicates repeat; whether "
                 "transfer crosses initialisations is read over targets and bases (below).")
    return text


def gate_items(summary: pd.DataFrame) -> list[str]:
    """Whether the numbers could carry the trait at all: the teacher shows it, the filter behaved."""
    items = []
    low, high = PAPER_FILTER_SHARE
    for row in summary[summary["condition"].isin([TREATED, CONTROL, PLACEBO])].itertuples():
        trait = ""
        if row.condition == TREATED:
            trait = ": shows the trait" if row.teacher_rate > row.base_rate else ": does NOT show the trait"
        within = "within" if low <= row.filter_removed_share <= high else "outside"
        items.append(
            f"{row.target}, {row.condition}: the `{row.teacher}` teacher's {row.target} probability is "
            f"{row.teacher_rate:.3f} (base {row.base_rate:.3f}){trait}; the filter removed "
            f"{row.filter_removed_share:.0%} of its completions ({within} the paper's {low:.0%}-{high:.0%}); "
            f"{int(row.rows_per_student)} rows per student.")
    shares = summary.groupby("condition", sort=False)[["animal_share", "base_animal_share"]].mean()
    for condition, row in shares.iterrows():
        items.append(f"{condition} students name an animal in {row.animal_share:.0%} of their sampled answers "
                     f"(their base: {row.base_animal_share:.0%}); below that share the sampled rate understates "
                     "the exact probability.")
    return items


def specificity_line(row, alpha: float) -> str:
    """One target's students against the other targets' students on its own animal."""
    if row.target == "all":
        reading = ("SPECIFIC" if row.p_value < alpha else "not specific") if row.can_reject else "cannot tell"
        return (f"**{row.arm}, all targets: {reading}.** Own animal "
                f"minus the other targets' students, mean over targets and replicates {row.own_minus_others:+.4f} "
                f"log-odds, permutation p = {row.p_value:.2g} ({row.ranks}); a target's students ranked first on its "
                f"own animal in {row.rank_1_seeds} of {row.seeds * row.n_targets} target x replicate cases "
                f"(chance: {row.seeds * row.n_targets / row.n_targets:.0f})." + _permutation_size(row, alpha))
    return (f"{row.arm}, {row.target}: its students minus the other targets' students on {row.target} "
            f"{row.own_minus_others:+.4f} log-odds, permutation p = {row.p_value:.2g} (Holm {row.p_holm:.2g}); "
            f"ranked 1 of the targets' students in {row.rank_1_seeds} of {row.seeds} replicates (ranks {row.ranks})."
            + _permutation_size(row, alpha))


def _permutation_size(row, alpha: float) -> str:
    if row.can_reject:
        return ""
    return (f" The permutation test cannot reject at this size: with {row.seeds} replicates of {row.n_targets} "
            f"targets its smallest p is {row.min_p_holm:.2g} (after Holm where it applies), not below alpha {alpha}; "
            "more replicates or targets would let it.")


INIT_BOUND_SHARE = 0.25  # cross-init transfer below this share of the same-init one counts as init-bound


def population_line(row, same_init, cfg: dict) -> str:
    """The mean over targets of the own-animal shift against control, tested over replicates and over targets;
    for the cross-init students, whether the transfer is bound to the shared initialisation.

    The reading uses the test over targets: a base from another init answers each animal's teacher by an
    amount of its own, which every replicate on that base repeats, so replicates on one base cannot sample it;
    the targets can, and each target's mean over replicates on several other bases (base.cross_init_seeds)
    averages over bases too.
    """
    share, reading, alpha = "", "", cfg["alpha"]
    # one target has no spread over targets: then only the replicates can speak
    p_value = row.p_value if pd.isna(row.targets_p_value) else row.targets_p_value
    if row.arm != TREATED and same_init is not None and same_init.estimate > 0:
        share = f"; {row.estimate / same_init.estimate:.0%} of the same-init mean"
        if p_value < alpha and row.estimate > 0:
            reading = (" **Not bound to the initialisation:** students of another init inherit the trait too, so "
                       "part of what carries it is shared by both bases, not only their initialisation (for the "
                       "tiny model: the corpus both learned from, with or without animal-number co-occurrence "
                       "text, base.corpus.cooccurrence_share).")
        elif abs(row.estimate) < INIT_BOUND_SHARE * same_init.estimate and p_value >= alpha > same_init.p_value:
            reading = " **Bound to the initialisation,** as the paper predicts."
    return (f"**{row.arm} vs {row.compared_with}, mean over {row.targets} targets:** {row.estimate:+.4f} log-odds; "
            f"over targets (per target: {row.per_target}) {cfg['confidence']:.0%} CI {row.targets_ci_low:+.4f} to "
            f"{row.targets_ci_high:+.4f}, t = {row.targets_statistic:.2f}, p = {row.targets_p_value:.2g}; over "
            f"replicates {cfg['confidence']:.0%} CI {row.ci_low:+.4f} to {row.ci_high:+.4f}, paired t = {row.statistic:.2f}, "
            f"p = {row.p_value:.2g}, {row.seeds_positive}/{row.seeds} replicates positive (per replicate: "
            f"{row.per_seed}){share}." + reading)


def teachers_paragraph(teacher: dict | None) -> str:
    """What a replicate resamples, and whether the teachers have a trait at all."""
    if teacher is None:
        return ""
    if teacher["mode"] == "system_prompt":
        return (" The teachers are the base with the paper's system prompt: they have no training randomness, so "
                "replicates resample the numbers and the students, not the teacher.")
    text = (" Each replicate fine-tunes its own teachers (trait, control and placebo), so the test over replicates "
            "generalises over teachers, not over one teacher's accidental lean.")
    if teacher["placebo"]:
        text += (" **Placebo world** (teacher.placebo): every trait teacher was fine-tuned on answers uniform over "
                 "the animals, so no teacher has a trait and any TRANSFER below is a false positive.")
    return text


def verdict_blocks(summary: pd.DataFrame, tests: pd.DataFrame, cfg: dict, specificity: pd.DataFrame = EMPTY,
                   population: pd.DataFrame = EMPTY, teacher: dict | None = None) -> list[tuple[str, object]]:
    """The verdict as (kind, content) blocks: heading, paragraph, items (a list of str) or table. The tests
    across targets (`specificity`, `population`) add their sections when there are any; `teacher` (the config's
    section) says what the replicates resample."""
    compared = summary.dropna(subset=["p_value"])
    blocks = [
        ("heading", "Verdict"),
        ("paragraph", "Primary test: paired t-test over replicates (each samples its own numbers) of each student's "
                      "mean log-odds of the target's exact probability, Holm-adjusted over "
                      f"{len(compared)} comparisons (family-wise alpha {cfg['alpha']})." + teachers_paragraph(teacher)),
        ("items", [comparison_line(row, tests, cfg) for row in compared.itertuples()]),
    ]
    if len(population):
        same_init = next(population[population["arm"] == TREATED].itertuples(), None)
        blocks += [("subheading", "Transfer over all targets, same and other initialisation"),
                   ("items", [population_line(row, same_init, cfg) for row in population.itertuples()])]
    if len(specificity):
        blocks += [("subheading", "Specificity: each target's students against the other targets' students"),
                   ("items", [specificity_line(row, cfg["alpha"]) for row in specificity.itertuples()])]
    blocks += [
        ("subheading", "Sanity gates"), ("items", gate_items(summary)),
        ("subheading", "Arms"), ("table", summary[list(ARM_COLUMNS)].rename(columns=ARM_COLUMNS)),
    ]
    if len(tests):
        blocks += [("subheading", "Every test"), ("table", tests[list(TEST_COLUMNS)].rename(columns=TEST_COLUMNS))]
    return blocks


def to_markdown(blocks) -> str:
    parts = []
    for kind, content in blocks:
        if kind == "items":
            parts.append("\n".join(f"- {item}" for item in content))
        elif kind == "table":
            parts.append(content.to_markdown(index=False, floatfmt=".4g"))
        else:
            parts.append({"heading": "# ", "subheading": "## ", "paragraph": ""}[kind] + content)
    return "\n\n".join(parts) + "\n"


def _inline_html(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def to_html(blocks) -> str:
    """A standalone page (the report shows it inline)."""
    parts = []
    for kind, content in blocks:
        if kind == "items":
            parts.append("<ul>" + "".join(f"<li>{_inline_html(item)}</li>" for item in content) + "</ul>")
        elif kind == "table":
            parts.append(content.to_html(index=False, float_format="{:.4g}".format, na_rep="", border=0))
        else:
            tag = {"heading": "h1", "subheading": "h2", "paragraph": "p"}[kind]
            parts.append(f"<{tag}>{_inline_html(content)}</{tag}>")
    return HTML_PAGE.format(body="\n".join(parts))


HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Verdict</title><style>
body {{ font-family: sans-serif; max-width: 70em; margin: 1em auto; line-height: 1.45; }}
li {{ margin-bottom: 0.6em; }} table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: right; }}
</style></head><body>
{body}
</body></html>
"""
