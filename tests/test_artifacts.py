import pytest

from subliminal_learning.artifacts import atomic_path


def test_a_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as partial:
            partial.mkdir()
            (partial / "weights").write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_a_finished_write_replaces_the_target(tmp_path):
    target = tmp_path / "table.txt"
    target.write_text("old")
    with atomic_path(target) as partial:
        partial.write_text("new")
    assert target.read_text() == "new" and list(tmp_path.iterdir()) == [target]
