"""Where an open-weight model lives: a local directory, or a hub id in the local Hugging Face cache.

Imports no torch: config validation (in the Snakemake driver) uses it too.
"""

import os
from pathlib import Path


class ModelNotFoundError(FileNotFoundError):
    """The configured model is neither a local model directory nor available from the hub."""


def is_path_like(name: str) -> bool:
    """A local directory rather than a hub id: starts with /, . or ~, or names an existing directory."""
    return name.startswith(("/", ".", "~")) or Path(name).expanduser().is_dir()


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def cached_snapshot(repo_id: str) -> str | None:
    """The local cache's snapshot directory of `repo_id` (its main revision), or None; never goes online."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return snapshot_download(repo_id, local_files_only=True)
    except (LocalEntryNotFoundError, HFValidationError, OSError):
        return None


def locate_model(name: str) -> dict:
    """{path, revision} of a local model directory or a hub id.

    A hub id missing from the cache is downloaded here, once, unless HF_HUB_OFFLINE is set: the base
    rule is the only job that may download, every later job reads the snapshot it recorded.
    """
    if is_path_like(name):
        path = Path(name).expanduser().resolve()
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{path} is not a model directory (no config.json)")
        return {"path": str(path), "revision": None}
    snapshot = cached_snapshot(name)
    if snapshot is None:
        if hub_offline():
            raise ModelNotFoundError(
                f"'{name}' is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; "
                f"download it once with `hf download {name}` or unset HF_HUB_OFFLINE"
            )
        from huggingface_hub import snapshot_download

        snapshot = snapshot_download(name)
    return {"path": snapshot, "revision": Path(snapshot).name}
