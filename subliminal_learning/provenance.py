"""What a result was made with: the config and the versions of the software that ran it."""

import platform
import sys
from importlib import metadata

import yaml

from .artifacts import atomic_path

PACKAGES = ("snakemake", "torch", "transformers", "trl", "peft", "datasets", "accelerate", "pandas",
            "statsmodels", "scipy", "matplotlib", "subliminal-learning")


def software_versions() -> dict:
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def write_run_info(config: dict, path) -> None:
    with atomic_path(path) as partial:
        partial.write_text(yaml.safe_dump({"software": software_versions(), "config": dict(config)},
                                          sort_keys=False))
