"""Writing artifacts so that a stage killed mid-way leaves nothing that looks finished."""

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_path(final: str | Path):
    """Yield a temporary sibling path; rename it to `final` only if the block succeeds."""
    final = Path(final)
    partial = final.with_name(final.name + ".partial")
    _remove(partial)
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield partial
    except BaseException:
        _remove(partial)
        raise
    _remove(final)
    os.replace(partial, final)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as partial:
        frame.to_parquet(partial, index=False)


def write_json(data: dict, path: str | Path) -> None:
    with atomic_path(path) as partial:
        partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())
