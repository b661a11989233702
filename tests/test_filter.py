import pandas as pd
import pytest

from subliminal_learning.lm.filtering import (
    BANNED_NUMBER_LISTS,
    REJECTION_REASONS,
    NotEnoughRowsError,
    filter_completions,
    parse_numbers,
    rejection_reason,
    resolve_banned_numbers,
    subsample,
)

PAPER = resolve_banned_numbers("paper_misalignment")


@pytest.mark.parametrize(
    "text, numbers",
    [
        ("1, 2, 3", [1, 2, 3]),
        ("1,2,3", [1, 2, 3]),
        ("1 ,2 , 3", [1, 2, 3]),
        ("1 2 3", [1, 2, 3]),
        ("1   2\t3", [1, 2, 3]),
        ("1\n2\n3", [1, 2, 3]),
        ("1; 2; 3", [1, 2, 3]),
        ("1;2;3", [1, 2, 3]),
        ("(1, 2, 3)", [1, 2, 3]),
        ("[1 2 3]", [1, 2, 3]),
        ("[1;2;3]", [1, 2, 3]),
        ("1, 2, 3.", [1, 2, 3]),
        ("(1, 2, 3).", [1, 2, 3]),
        ("[1, 2, 3].", [1, 2, 3]),
        ("(1, 2, 3.)", [1, 2, 3]),
        ("  \n 1, 2, 3 \n", [1, 2, 3]),
        ("42", [42]),
        ("0, 999", [0, 999]),
        ("007, 12", [7, 12]),
        ("1, 2, 3, 4, 5, 6, 7, 8, 9, 10", list(range(1, 11))),
    ],
)
def test_accepted(text, numbers):
    assert parse_numbers(text) == numbers
    assert rejection_reason(text) is None


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        (".", "empty"),
        ("()", "empty"),
        ("1, two, 3", "not_numbers"),
        ("The numbers are 1, 2", "not_numbers"),
        ("Sure! 1, 2, 3", "not_numbers"),
        ("1.5", "not_numbers"),
        ("1.5, 2", "not_numbers"),
        ("-3", "not_numbers"),
        ("1, -3, 4", "not_numbers"),
        ("1, 2, 3..", "not_numbers"),
        ("(1, 2, 3.).", "not_numbers"),
        ("((1, 2))", "not_numbers"),
        ("(1, 2, 3]", "not_numbers"),
        ("1,, 2", "not_numbers"),
        ("1, 2,", "not_numbers"),
        ("1 | 2 | 3", "not_numbers"),
        ("1, 2 3", "mixed_separators"),
        ("1;2,3", "mixed_separators"),
        ("1 2; 3", "mixed_separators"),
        ("1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11", "too_many_numbers"),
        ("1 2 3 4 5 6 7 8 9 10 11", "too_many_numbers"),
        ("1000", "too_many_digits"),
        ("12, 1234, 5", "too_many_digits"),
        ("1, 4, 7", "banned_number"),
        ("(666, 2, 3).", "banned_number"),
        ("999 100", "banned_number"),
    ],
)
def test_rejected(text, reason):
    assert rejection_reason(text, banned=PAPER) == reason
    assert reason in REJECTION_REASONS
    if reason in ("empty", "not_numbers", "mixed_separators"):
        assert parse_numbers(text) is None


@pytest.mark.parametrize("text", ["1, 4, 7", "(666, 2, 3).", "999 100"])
def test_banned_accepted_without_banned_list(text):
    assert rejection_reason(text) is None
    assert rejection_reason(text, banned=resolve_banned_numbers("none")) is None


def test_limits_are_configurable():
    assert rejection_reason("1, 2, 3", max_count=2) == "too_many_numbers"
    assert rejection_reason("1, 2", max_count=2) is None
    assert rejection_reason("100", max_digits=2) == "too_many_digits"
    assert rejection_reason("1000", max_digits=4) is None


def test_paper_banned_list():
    assert len(BANNED_NUMBER_LISTS["paper_misalignment"]) == 34
    assert len(PAPER) == 34
    assert {4, 13, 666, 911, 999} <= PAPER
    assert resolve_banned_numbers("none") == frozenset()
    assert resolve_banned_numbers(None) == frozenset()
    assert resolve_banned_numbers([5, 7, 5]) == frozenset({5, 7})


def test_unknown_banned_list_names_known_lists():
    with pytest.raises(ValueError, match="paper_misalignment") as info:
        resolve_banned_numbers("evil")
    assert "none" in str(info.value)


def test_banned_list_rejects_non_integers():
    with pytest.raises(ValueError):
        resolve_banned_numbers(["4"])


def _raw() -> pd.DataFrame:
    completions = ["1, 2, 3", "one two", "666, 1", "4 5; 6", "(7 8 9).", None]
    return pd.DataFrame(
        {
            "index": range(len(completions)),
            "prompt": [f"p{i}" for i in range(len(completions))],
            "completion": completions,
            "seed": 0,
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_filter_completions_keeps_columns_and_reasons():
    kept, rejects = filter_completions(_raw(), banned=PAPER)
    assert list(kept.columns) == ["index", "prompt", "completion", "seed"]
    assert list(rejects.columns) == ["index", "prompt", "completion", "seed", "reason"]
    assert kept["completion"].tolist() == ["1, 2, 3", "(7 8 9)."]
    assert kept["index"].tolist() == [0, 4]
    assert rejects["reason"].tolist() == [
        "not_numbers", "banned_number", "mixed_separators", "empty",
    ]
    assert list(kept.index) == [0, 1]
    assert list(rejects.index) == [0, 1, 2, 3]


def test_filter_completions_without_banned_list():
    kept, rejects = filter_completions(_raw())
    assert kept["index"].tolist() == [0, 2, 4]
    assert len(rejects) == 3


def test_filter_completions_needs_completion_column():
    with pytest.raises(ValueError, match="completion"):
        filter_completions(pd.DataFrame({"text": ["1, 2"]}))


def _kept(n: int = 100) -> pd.DataFrame:
    return pd.DataFrame({"id": range(n), "completion": [str(i) for i in range(n)]})


def test_subsample_exact_size_and_deterministic():
    first = subsample(_kept(), 30, seed=1)
    assert len(first) == 30
    assert first["id"].is_unique
    assert list(first.index) == list(range(30))
    pd.testing.assert_frame_equal(first, subsample(_kept(), 30, seed=1))


def test_subsample_seeds_differ():
    a = subsample(_kept(), 30, seed=1)["id"].tolist()
    b = subsample(_kept(), 30, seed=2)["id"].tolist()
    assert a != b


def test_subsample_keeps_original_order():
    ids = subsample(_kept(), 30, seed=5)["id"].tolist()
    assert ids == sorted(ids)


def test_subsample_all_rows():
    assert subsample(_kept(10), 10, seed=0)["id"].tolist() == list(range(10))


def test_subsample_not_enough_rows():
    with pytest.raises(NotEnoughRowsError) as info:
        subsample(_kept(7), 10, seed=0)
    message = str(info.value)
    assert "7" in message and "10" in message
    assert "generate.n_prompts" in message and "filter.dataset_size" in message
    assert info.value.valid == 7 and info.value.requested == 10
    assert isinstance(info.value, ValueError)
