"""The conda environment files carry exactly the pins of pyproject.toml."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENV_FILES = sorted((ROOT / "envs").glob("*.yaml"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# Conda packages that are the environment itself rather than project dependencies.
TOOLING = {"python", "pip"}
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def normalise_spec(spec: str) -> tuple[str, ...]:
    """'>=2.13, <2.15' and '<2.15,>=2.13' are the same spec; a bare conda '=X' is not '==X'."""
    return tuple(sorted(part.replace(" ", "") for part in spec.split(",") if part.strip()))


def parse(requirement: str) -> tuple[str, tuple[str, ...]]:
    match = REQUIREMENT.match(requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    name, spec = match.groups()
    return normalise_name(name), normalise_spec(spec)


def pyproject_pins(groups: bool = True) -> dict[str, tuple[str, ...]]:
    requirements = list(PYPROJECT["dependencies"])
    if groups:
        for extra in PYPROJECT.get("optional-dependencies", {}).values():
            requirements += extra
    return dict(parse(r) for r in requirements)


def env_packages(path: Path) -> dict[str, tuple[str, ...]]:
    """Every package an env file installs, conda and pip, by normalised name (pip options skipped)."""
    packages = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        entries = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in entries:
            item = str(item)
            if item.startswith("-"):  # -e .., --index-url ...: not a pinned package
                continue
            name, spec = parse(item)
            assert name not in packages, f"{path.name}: {name} listed twice"
            packages[name] = spec
    return packages


def test_env_files_exist():
    assert {p.name for p in ENV_FILES} >= {"train.yaml", "stats.yaml", "workflow.yaml"}


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_file_structure(path):
    env = yaml.safe_load(path.read_text())
    assert isinstance(env, dict)
    assert isinstance(env.get("name"), str) and env["name"]
    assert env.get("channels") == ["conda-forge", "nodefaults"]
    deps = env.get("dependencies")
    assert isinstance(deps, list) and deps
    assert "python=3.11" in deps
    pip_sections = [d for d in deps if isinstance(d, dict)]
    assert all(set(d) == {"pip"} and isinstance(d["pip"], list) for d in pip_sections)
    if pip_sections:
        assert "pip" in deps, f"{path.name}: a pip: section needs pip among the conda dependencies"


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_env_pins_match_pyproject(path):
    pins = pyproject_pins()
    for name, spec in env_packages(path).items():
        if name in TOOLING:
            continue
        assert name in pins, f"{path.name}: {name} is not a dependency in pyproject.toml"
        assert spec == pins[name], f"{path.name}: {name} pinned {spec}, pyproject.toml has {pins[name]}"


def test_every_pyproject_dependency_in_an_env_file():
    covered = set()
    for path in ENV_FILES:
        covered |= set(env_packages(path))
    missing = set(pyproject_pins(groups=False)) - covered
    assert not missing, f"pyproject.toml dependencies in no envs/*.yaml: {sorted(missing)}"


def test_slurm_plugin_in_workflow_env():
    slurm = dict(parse(r) for r in PYPROJECT["optional-dependencies"]["slurm"])
    workflow = env_packages(ROOT / "envs" / "workflow.yaml")
    for name, spec in slurm.items():
        assert workflow.get(name) == spec, f"workflow.yaml must pin {name} as in the slurm extra"


def test_vllm_env_leaves_torch_and_transformers_to_vllm():
    """vllm pins its own torch and transformers (they clash with train.yaml's): its env names neither."""
    extra = dict(parse(r) for r in PYPROJECT["optional-dependencies"]["vllm"])
    vllm = env_packages(ROOT / "envs" / "vllm.yaml")
    assert vllm["vllm"] == extra["vllm"]
    assert not {"torch", "transformers", "tokenizers", "trl"} & set(vllm)
