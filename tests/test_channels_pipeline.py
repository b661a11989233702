"""The channels target end to end at micro size: the run's arms trained through each channel, from the run's own
teachers, and compared."""


import pandas as pd
import pytest
import yaml

from conftest import REPO
from test_pipeline import SEEDS, TARGETS, TEACHERS, named_target_run

pytestmark = pytest.mark.pipeline

DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
CHANNELS = {
    **dict.fromkeys(DEFAULT["channels"]),  # config.yaml's channels, left out
    "top8": {"student": {"objective": "topk", "top_k": 8}},
    "top2": {"student": {"objective": "topk", "top_k": 2}},
    # names of their own: a configfile's channel of the same name as config.yaml's would merge into it
    "sampled": {"generate": {"temperature": 0.7}, "student": {"objective": "sft"}},
    "sampled_few": {"generate": {"temperature": 0.7}, "filter": {"dataset_size": 40}, "student": {"objective": "sft"}},
}
RUN_CHANNELS = [name for name, channel in CHANNELS.items() if channel is not None]


@pytest.fixture(scope="module")
def channels_run(micro_run, tmp_path_factory):
    return named_target_run(micro_run, tmp_path_factory, "channels", {"channels": CHANNELS})


def test_channels_reuse_the_run_and_share_the_numbers_they_would_draw_alike(channels_run):
    _, jobs = channels_run
    assert not {"base", "teacher", "generate", "filter", "students_main", "stats"} & set(jobs)
    # top8 and top2 read the teacher's log-probabilities on the run's own rows; sampled draws at its temperature, and
    # sampled_few keeps fewer rows of that draw
    assert jobs["top_logprobs"] == len(SEEDS) * len(TEACHERS)
    assert jobs["generate_channel"] == len(SEEDS)
    assert jobs["filter_channel"] == 2 * len(SEEDS) * len(TEACHERS)
    assert jobs["channel_stats"] == len(RUN_CHANNELS)


def test_the_top_k_channels_train_on_the_run_s_own_rows_with_their_log_probabilities(channels_run):
    workdir, _ = channels_run
    for teacher in TEACHERS:
        for seed in SEEDS:
            run = pd.read_parquet(workdir / f"results/numbers/{teacher}/seed{seed}/filtered.parquet")
            top = pd.read_parquet(workdir / f"results/channels/run/numbers/{teacher}/seed{seed}/top_logprobs.parquet")
            pd.testing.assert_frame_equal(run, top[run.columns])
            assert top["top_ids"].map(lambda positions: {len(p) for p in positions}).eq({8}).all()
    sampled = pd.read_parquet(workdir / "results/channels/sampled/numbers/owl/seed0/raw.parquet")
    assert not sampled["completion"].equals(pd.read_parquet(workdir / "results/numbers/owl/seed0/raw.parquet")["completion"])
    few = pd.read_parquet(workdir / "results/channels/sampled_few/numbers/owl/seed0/filtered.parquet")
    assert len(few) == 40 and set(few["completion"]) <= set(sampled["completion"])
    assert not (workdir / "results/channels/sampled_few/numbers/owl/seed0/raw.parquet").exists()


def test_the_comparison_has_every_channel_and_target_and_a_report_category(channels_run):
    workdir, _ = channels_run
    table = pd.read_csv(workdir / "results/channels/comparison.csv")
    channels = list(dict.fromkeys(table["channel"]))
    assert channels[0] == "logits" and sorted(channels[1:]) == sorted(RUN_CHANNELS)  # the run's own first
    assert sorted(table["target"].unique()) == sorted(TARGETS)
    run = table[table["channel"] == "logits"]
    assert run["share_of_run"].dropna().eq(1.0).all()  # the run's own shift over itself
    assert (workdir / "results/plots/channels.png").read_bytes().startswith(b"\x89PNG")
    verdict = (workdir / "results/channels/verdict.md").read_text()
    assert "**top8** (distilled on the teacher's top-8 log-probabilities" in verdict
    assert "**sampled** (fine-tuned on the sampled text, teacher sampled at temperature 0.7" in verdict
    report = (workdir / "results/report.html").read_text()
    assert "Channels" in report and "channels.png" in report


def test_a_channel_s_training_record_names_its_objective(channels_run):
    workdir, _ = channels_run
    record = (workdir / "results/channels/top2/students/treated/owl/seed0/training.json").read_text()
    assert '"objective": "topk"' in record and '"k": 2' in record
    assert '"objective": "sft"' in (workdir / "results/channels/sampled/students/control/neutral/seed0/training.json"
                                    ).read_text()
