"""End to end: the micro config through Snakemake, its artifacts, reruns and reproducibility."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from conftest import MICRO, REPO, snakemake
from subliminal_learning.benchmarks import stage_table

pytestmark = pytest.mark.pipeline

MICRO_CFG = yaml.safe_load(MICRO.read_text())
SEEDS = MICRO_CFG["seeds"]
SUMMARY_COLUMNS = {
    "target", "condition", "n_students", "base_rate", "teacher_rate", "sampled_rate", "sampled_rate_ci_low",
    "sampled_rate_ci_high", "prob", "logodds", "logodds_ci_low", "logodds_ci_high", "shift_from_base",
    "diff_vs_control", "diff_ci_low", "diff_ci_high", "t", "p_value", "seeds_positive", "significant",
    "filter_removed_share", "rows_per_student", "compared_with", "target_rank", "n_animals", "p_holm",
    "sign_flip_p_holm", "mdd_logodds", "power_at_expected", "pooled_rate_ci_low", "pooled_rate_ci_high",
    "animal_share", "base_animal_share",
}
TESTS = {"paired_t", "sign_flip", "glm_answers", "glm_exact"}
TARGETS = MICRO_CFG["targets"]
ARMS = (*(("treated", t) for t in TARGETS), ("control", "neutral"), ("placebo", "placebo"),
        *(("cross_init", t) for t in TARGETS), ("cross_init", "neutral"))
STUDENTS = [f"{c}/{t}/seed{s}" for c, t in ARMS for s in SEEDS]
TEACHERS = (*TARGETS, "neutral", "placebo")  # each replicate trains its own
UNIFORM = ("neutral", "placebo")  # teachers without a trait: their students serve every target
OTHER_INITS = MICRO_CFG["base"]["cross_init_seeds"]  # one per cross-init replicate (both micro seeds)
REFERENCES = ["base/main", *(f"base/cross_init{k + 1}" for k in range(len(OTHER_INITS))),
              *(f"teachers/{t}/seed{s}" for t in TEACHERS for s in SEEDS)]
MODELS = REFERENCES + [f"students/{s}" for s in STUDENTS]
AFTER_STATS = {"stats": 1, "plots": len(TARGETS), "run_info": 1, "target_animal_plot": 1}  # what a new verdict reruns
STUDENT_JOBS = ("students_main", "students_cross_init")  # one job per base and replicate trains its students
EVAL_JOBS = ("evaluate_students_main", "evaluate_students_cross_init")  # and evaluates them


def planned_jobs(workdir, *args) -> dict[str, int]:
    """{rule: count} of the jobs a dry run would execute."""
    result = snakemake(workdir, "--dry-run", "--cores", "2", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, flags=re.M) if m[1] != "all"}


def override(tmp_path, name, data) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def named_target_run(micro_run, tmp_path_factory, target, section=None) -> tuple:
    """A copy of the micro run, then `snakemake TARGET` on it (with the config section given, if any): the workdir
    and the jobs the target planned."""
    workdir = tmp_path_factory.mktemp(target)
    shutil.copytree(micro_run, workdir, symlinks=True, dirs_exist_ok=True)
    configfiles = (MICRO, override(workdir, target, section)) if section else (MICRO,)
    jobs = planned_jobs(workdir, target, "--configfile", *map(str, configfiles))
    result = snakemake(workdir, "--cores", "2", target, configfiles=configfiles)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir, jobs


def test_models_are_saved(micro_run):
    for model in MODELS:
        folder = micro_run / "results" / model
        for name in ("model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja"):
            assert (folder / name).is_file(), folder / name
    for seed in SEEDS:
        trait = json.loads((micro_run / f"results/teachers/owl/seed{seed}/trait_check.json").read_text())
        assert trait["held_out_target_rate"] >= MICRO_CFG["teacher"]["min_target_rate"]
        placebo = json.loads((micro_run / f"results/teachers/placebo/seed{seed}/trait_check.json").read_text())
        assert placebo["trait"] is False and len(placebo["rates"]) == 20


def test_numbers_are_filtered_to_a_fixed_size(micro_run):
    assert sorted(p.name for p in (micro_run / "results/numbers").iterdir()) == sorted(TEACHERS)
    for teacher in TEACHERS:
        for seed in SEEDS:
            folder = micro_run / "results/numbers" / teacher / f"seed{seed}"
            raw = pd.read_parquet(folder / "raw.parquet")
            kept = pd.read_parquet(folder / "filtered.parquet")
            rejects = pd.read_parquet(folder / "rejects.parquet")
            report = json.loads((folder / "filter_report.json").read_text())
            assert len(raw) == 400 and {"prompt", "completion", "seed"} <= set(raw.columns)
            assert (raw["seed"] == seed).all()
            assert len(kept) == MICRO_CFG["filter"]["dataset_size"] == report["used"]
            assert report["kept"] + report["rejected"] == len(raw) == report["kept"] + len(rejects)
            assert rejects["reason"].notna().all()
            assert kept["completion"].str.fullmatch(r"[\d\s,;.()\[\]]+").all()


def test_each_replicate_samples_its_own_numbers(micro_run):
    """Within a replicate every teacher answers the same prompts; replicates draw different prompts."""
    def prompts(teacher, seed):
        return pd.read_parquet(micro_run / f"results/numbers/{teacher}/seed{seed}/raw.parquet")["prompt"].tolist()

    for seed in SEEDS:
        assert all(prompts(teacher, seed) == prompts("neutral", seed) for teacher in TARGETS)
    first, second = (set(prompts("owl", seed)) for seed in SEEDS[:2])
    assert len(first & second) < len(first) / 10


def test_each_cross_init_replicate_starts_from_its_own_init(micro_run):
    """The k-th replicate's cross_init students start from the k-th other init, not all from one."""
    for k, (seed, init_seed) in enumerate(zip(SEEDS, OTHER_INITS)):
        base = f"results/base/cross_init{k + 1}"
        assert json.loads((micro_run / base / "base_info.json").read_text())["init_seed"] == init_seed
        plan = snakemake(micro_run, "--dry-run", "--forcerun", "students_cross_init", "--cores", "1",
                         f"results/students/cross_init/owl/seed{seed}")
        assert plan.returncode == 0, plan.stderr[-3000:]
        inputs = re.findall(r"^\s*input: (.*)$", plan.stdout, flags=re.M)
        assert any(base in line.split(", ") for line in inputs), plan.stdout[-3000:]


def test_every_model_is_evaluated(micro_run):
    for model in MODELS:
        probs = pd.read_parquet(micro_run / "results/eval" / model / "probabilities.parquet")
        answers = pd.read_parquet(micro_run / "results/eval" / model / "answers.parquet")
        per_question = probs.groupby("question_id")["prob"].sum()
        assert len(per_question) == 50 and per_question.round(5).eq(1).all()
        assert len(answers) == 50 * MICRO_CFG["eval"]["samples_per_question"]
        assert probs["held_out"].sum() == 10 * 20


def test_summary_and_verdict(micro_run):
    summary = pd.read_csv(micro_run / "results/stats/summary.csv")
    assert SUMMARY_COLUMNS <= set(summary.columns)
    for target in TARGETS:
        mine = summary[summary["target"] == target]
        assert sorted(mine["condition"]) == ["control", "cross_init", "cross_init_control", "placebo", "treated"]
    assert (summary["n_students"] == len(SEEDS)).all()
    assert summary[["animal_share", "base_animal_share"]].stack().between(0, 1).all()
    compared = summary.set_index("condition").loc[["treated", "cross_init"]]
    assert compared["p_value"].between(0, 1).all() and compared["seeds_paired"].eq(len(SEEDS)).all()
    verdict = (micro_run / "results/stats/verdict.md").read_text()
    assert "owl, treated vs control" in verdict and "eagle, cross_init vs cross_init_control" in verdict
    tests = pd.read_csv(micro_run / "results/stats/tests.csv")
    assert set(tests["test"]) == TESTS and len(tests) == 3 * len(TARGETS) * len(TESTS)  # treated, placebo, cross_init
    treated = summary[summary["condition"] == "treated"]
    assert treated[["placebo_shift", "vs_placebo", "vs_placebo_p_holm"]].notna().all().all()
    assert "Placebo: the placebo teacher's students moved owl" in verdict
    assert (tests["p_holm"].dropna() >= tests["p_value"].dropna()).all()


def test_specificity_and_population(micro_run):
    table = pd.read_csv(micro_run / "results/stats/target_animal.csv")
    assert len(table) == 2 * len(TARGETS) * 20 and set(table["arm"]) == {"treated", "cross_init"}
    specificity = pd.read_csv(micro_run / "results/stats/specificity.csv").set_index(["arm", "target"])
    assert set(specificity.index) == {(arm, t) for arm in ("treated", "cross_init") for t in [*TARGETS, "all"]}
    # two targets, two replicates: (2!)^2 = 4 label permutations, all enumerated
    assert specificity["p_value"].between(0.25, 1).all()
    population = pd.read_csv(micro_run / "results/stats/population.csv").set_index("arm")
    assert list(population.index) == ["treated", "cross_init"] and population["seeds"].eq(len(SEEDS)).all()
    assert population["targets_p_value"].between(0, 1).all() and population["per_target"].str.contains("owl").all()
    verdict = (micro_run / "results/stats/verdict.md").read_text()
    assert "mean over 2 targets" in verdict and "students minus the other targets' students" in verdict


def test_tidy_tables(micro_run):
    answers = pd.read_parquet(micro_run / "results/stats/answers.parquet")
    students = answers.dropna(subset=["seed"])
    assert {"model", "arm", "target", "seed", "question_id", "sample", "answer", "hit"} <= set(answers.columns)
    # a control student's answers are scored for every target, a target's student's for its own
    scored = sum(len(TARGETS) if teacher in UNIFORM else 1 for _, teacher in ARMS) * len(SEEDS)
    assert len(students) == scored * 50 * MICRO_CFG["eval"]["samples_per_question"]
    probabilities = pd.read_parquet(micro_run / "results/stats/target_probabilities.parquet")
    # the bases (the shared one and each other init) and each replicate's neutral and placebo teachers serve every
    # target too, each replicate's trait teacher its own
    served = scored + (1 + len(OTHER_INITS)) * len(TARGETS) + (1 + len(UNIFORM)) * len(TARGETS) * len(SEEDS)
    assert len(probabilities) == served * 50 and probabilities["prob"].between(0, 1).all()


def test_plots_and_report(micro_run):
    for figure in ("owl/trait", "owl/animal_shifts", "eagle/trait", "target_animal"):
        assert (micro_run / f"results/plots/{figure}.png").read_bytes().startswith(b"\x89PNG")
    info = yaml.safe_load((micro_run / "results/report/run_info.yaml").read_text())
    assert info["config"]["seeds"] == SEEDS and info["software"]["torch"].startswith("2.")
    report = (micro_run / "results/report.html").read_text()
    assert "Does the student inherit the teacher" in report and "Holm-adjusted" in report


def test_every_job_has_a_benchmark_and_a_log(micro_run):
    benchmarks = list((micro_run / "results/benchmarks").rglob("*.tsv"))
    logs = list((micro_run / "results/logs").rglob("*.log"))
    # the shared base and the other inits; per replicate its teachers, generate, filter per teacher, students and
    # their evaluation per base; evaluations of the reference models (one job), then stats, fingerprint and plots
    # per target, the target x animal figure, run_info; the MNIST experiment: digits, teachers, theorem, stats,
    # plots and one students job per m
    jobs = (1 + len(OTHER_INITS) + len(SEEDS) * (2 + len(TEACHERS) + len(STUDENT_JOBS) + len(EVAL_JOBS)) + 1
            + 1 + 2 * len(TARGETS) + 2 + 5 + len(MICRO_CFG["mnist"]["m"]))
    assert len(benchmarks) == len(logs) == jobs
    table = stage_table(micro_run / "results").set_index("stage")
    stages = ["base", "teacher", "generate", "filter", "student", "evaluate", "stats", "fingerprint", "plots",
              "run_info", "mnist"]
    assert list(table.index) == stages
    assert table["jobs"].sum() == jobs and (table["peak_rss_mb"] > 0).all()


def test_a_finished_run_has_nothing_to_do(micro_run):
    assert planned_jobs(micro_run) == {}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"eval": {"samples_per_question": 3}},
         {"evaluate": 1, **dict.fromkeys(EVAL_JOBS, len(SEEDS)), **AFTER_STATS}),
        ({"student": {"train": {"epochs": 1, "learning_rate": 5.0e-4, "batch_size": 32}}},
         {**dict.fromkeys(STUDENT_JOBS + EVAL_JOBS, len(SEEDS)), **AFTER_STATS}),
        # a new seed past cross_init_replicates (2): its own teachers (scored with the references), no
        # cross_init students in it
        ({"seeds": SEEDS + [7]}, {"teacher": 1, "generate": 1, "filter": len(TEACHERS), "students_main": 1,
                                  "evaluate": 1, "evaluate_students_main": 1, **AFTER_STATS}),
        # fewer cross_init students, and other inits: the verdict, and the references' evaluation (one base less)
        ({"cross_init_replicates": 1, "base": {"cross_init_seeds": OTHER_INITS[:1]}}, {"evaluate": 1, **AFTER_STATS}),
        ({"filter": {"dataset_size": 70}},
         {"filter": len(TEACHERS) * len(SEEDS), **dict.fromkeys(STUDENT_JOBS + EVAL_JOBS, len(SEEDS)),
          **AFTER_STATS, "fingerprint": len(TARGETS)}),
        ({"stats": {"alpha": 0.01}}, AFTER_STATS),
        # run_info records the whole config, so it reruns with any key; no language-model stage does
        ({"mnist": {"student": {"learning_rate": 2.0e-3}}},
         {"mnist_students": len(MICRO_CFG["mnist"]["m"]), "mnist_stats": 1, "mnist_plots": 1, "run_info": 1}),
    ],
    ids=["eval-samples", "student-lr", "new-seed", "fewer-cross-init", "dataset-size", "alpha", "mnist-student-lr"],
)
def test_a_change_reruns_only_what_depends_on_it(micro_run, tmp_path, change, expected):
    assert planned_jobs(micro_run, "--configfile", str(MICRO), override(tmp_path, "change", change)) == expected


def test_a_micro_placebo_world_shows_no_transfer(micro_run, tmp_path):
    """Every trait teacher trained as the placebo is (teacher.placebo: true), from the micro run's bases: the
    teachers carry no trait and the verdict calls no target a TRANSFER."""
    world = tmp_path / "world"
    shutil.copytree(micro_run, world, symlinks=True)
    placebo = override(tmp_path, "placebo", {"teacher": {"placebo": True}})
    assert "base" not in planned_jobs(world, "--configfile", str(MICRO), placebo)  # the bases are reused
    result = snakemake(world, "--cores", "2", "results/stats/summary.csv", configfiles=(MICRO, placebo))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for seed in SEEDS:
        check = json.loads((world / f"results/teachers/owl/seed{seed}/trait_check.json").read_text())
        assert check["trait"] is False
    verdict = (world / "results/stats/verdict.md").read_text()
    assert "**Placebo world**" in verdict and "owl, treated vs control" in verdict
    assert not re.search(r"^- \*\*\w+, treated vs control: TRANSFER\.\*\*", verdict, flags=re.M)


def test_runs_are_reproducible(micro_run, tmp_path):
    """A second run of the same config, up to the verdict's tables, writes the same numbers, answers and summary."""
    result = snakemake(tmp_path, "--cores", "2", "results/stats/summary.csv")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    again = tmp_path
    for teacher in TEACHERS:
        for seed in SEEDS:
            pd.testing.assert_frame_equal(
                pd.read_parquet(micro_run / f"results/numbers/{teacher}/seed{seed}/filtered.parquet"),
                pd.read_parquet(again / f"results/numbers/{teacher}/seed{seed}/filtered.parquet"),
            )
    for student in STUDENTS:
        for table in ("probabilities", "answers"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(micro_run / f"results/eval/students/{student}/{table}.parquet"),
                pd.read_parquet(again / f"results/eval/students/{student}/{table}.parquet"),
            )
    pd.testing.assert_frame_equal(
        pd.read_csv(micro_run / "results/stats/summary.csv"), pd.read_csv(again / "results/stats/summary.csv")
    )


def test_a_killed_stage_leaves_no_finished_output(tmp_path):
    """SIGKILL the whole run while the base trains: nothing may look finished, and it reruns."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
               "--configfile", str(MICRO), "--cores", "1", "results/base/main"]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = tmp_path / "results/logs/base/main.log"
    deadline = time.time() + 120
    while time.time() < deadline and not re.search(r"\d+/\d+ \[", log.read_text() if log.exists() else ""):
        time.sleep(0.5)
    assert log.exists(), "the base job never started training"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    assert not (tmp_path / "results/base/main").exists()
    assert planned_jobs(tmp_path, "results/base/main") == {"base": 1}

