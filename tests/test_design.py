"""The design module is the one place that names an arm or builds a result path: every path of the default
DAG parses back to what built it, and no other module spells an arm name or a path under results/."""

import io
import re
import subprocess
import sys
import tokenize
from pathlib import PurePosixPath

import pytest
import yaml

from conftest import REPO, snakemake
from subliminal_learning import design
from subliminal_learning.design import Design

DEFAULT = REPO / "config.yaml"
ARM_NAMES = {*design.STUDENT_ARMS, design.CROSS_INIT_BASE, design.CONTROL_TEACHER, design.PLACEBO_TEACHER,
             design.NEUTRAL}


@pytest.fixture(scope="module")
def default_jobs(tmp_path_factory) -> list[dict]:
    """Every job of the default config's DAG from a dry run: rule, input, output, log, benchmark, wildcards."""
    result = snakemake(tmp_path_factory.mktemp("dag"), "--dry-run", "--cores", "1", configfiles=(DEFAULT,),
                       timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = []
    for line in (result.stdout + result.stderr).splitlines():
        if re.match(r"^(local)?rule \w+:$", line):
            jobs.append({"rule": line.split()[-1].rstrip(":")})
        elif jobs and (field := re.match(r"^\s+(input|output|log|benchmark|wildcards): (.+)$", line)):
            jobs[-1][field[1]] = [item.strip() for item in field[2].split(",")]
    return jobs


@pytest.fixture(scope="module")
def default_dag(default_jobs) -> dict[str, set[str]]:
    """The outputs, logs and benchmark files of every job of the default DAG."""
    return {kind: {path for job in default_jobs for path in job.get(kind, [])} for kind in ("output", "log", "benchmark")}


def test_every_model_of_the_default_dag_round_trips_through_the_design(default_dag):
    config = yaml.safe_load(DEFAULT.read_text())
    plan = Design(config)
    models = plan.reference_models() + plan.student_models()
    outputs = default_dag["output"]
    assert {design.model_dir(model) for model in models} <= outputs
    evaluated = [path for path in outputs if path.startswith(design.result("eval", ""))]
    assert len(evaluated) == 2 * len(models)
    for path in evaluated:
        model = design.parse_model(path)
        assert design.eval_table(model.name, PurePosixPath(path).stem) == path
        assert design.model_dir(model.name) in outputs
        if model.seed is not None:  # a student: its arm follows from whose numbers it learned from
            condition = model.name.split("/")[1]
            assert model.arm == design.student_arm(condition, model.teacher) and model.seed in config["seeds"]
    arms = {design.parse_model(path).arm for path in evaluated}
    assert arms == {*design.STUDENT_ARMS, design.BASE, design.CROSS_INIT_BASE, design.TEACHER,
                    design.CONTROL_TEACHER, design.PLACEBO_TEACHER}


def test_within_a_replicate_every_arm_learns_from_that_replicates_teachers(default_jobs):
    """A replicate resamples its teachers: its teacher job writes its own teachers, its generate job asks them,
    and its students (and their distillation targets) read only its numbers and teachers."""
    teacher_dirs = design.result("teachers", "")
    per_replicate = [job for job in default_jobs if job["rule"] in ("teacher", "generate")
                     or job["rule"].startswith("students_")]
    assert {job["rule"] for job in per_replicate} == {"teacher", "generate", "students_main", "students_cross_init"}
    written = {}
    for job in per_replicate:
        seed = int(dict(item.split("=") for item in job["wildcards"])["seed"])
        teachers = [path for path in job.get("input", []) + job["output"] if path.startswith(teacher_dirs)]
        numbers = [path for path in job.get("input", []) if path.startswith(design.result("numbers", ""))]
        assert teachers and all(PurePosixPath(path).name == design.replicate(seed) for path in teachers), job
        assert all(design.parse_numbers(path)[1] == seed for path in numbers), job
        if job["rule"] == "teacher":
            written[seed] = set(job["output"])
    assert len(written) == 5 and not set.intersection(*written.values())  # no teacher shared by two replicates


def test_every_numbers_file_round_trips(default_dag):
    numbers = [path for path in default_dag["output"] if path.startswith(design.result("numbers", ""))]
    config = yaml.safe_load(DEFAULT.read_text())
    teachers = Design(config).number_sources()
    assert len(numbers) == 4 * len(teachers) * len(config["seeds"])  # raw, filtered, rejects, filter report
    for path in numbers:
        teacher, seed, name = design.parse_numbers(path)
        assert design.numbers(teacher, seed, name) == path and teacher in teachers


def test_every_log_and_benchmark_names_its_stage(default_dag):
    assert len(default_dag["log"]) == len(default_dag["benchmark"]) > 60  # one of each per job
    for log in default_dag["log"]:
        stage = PurePosixPath(log).relative_to(design.result("logs")).parts[0]
        assert stage in design.STAGES, log
        job = str(PurePosixPath(log).relative_to(design.result("logs", stage)).with_suffix(""))
        assert design.log(stage, job) == log and design.benchmark(stage, job) in default_dag["benchmark"]
    for benchmark in default_dag["benchmark"]:
        assert design.benchmark_stage(benchmark) in design.STAGES


def test_parsing_rejects_what_the_design_does_not_build():
    for path in ("results/eval/students/mimic/owl/seed0/probabilities.parquet",
                 "results/eval/teachers/owl/probabilities.parquet",
                 "results/eval/base/other/probabilities.parquet", "results/stats/summary.csv"):
        with pytest.raises(ValueError):
            design.parse_model(path)
    with pytest.raises(ValueError):
        design.parse_numbers("results/numbers/owl/raw.parquet")


def test_the_schema_offers_the_designs_conditions():
    schema = yaml.safe_load((REPO / "schemas" / "config.schema.yaml").read_text())
    assert tuple(schema["properties"]["conditions"]["items"]["enum"]) == design.CONDITIONS


def _string_literals(path):
    """(line, value) of every string literal of a Python or Snakemake file that is not a subscript key
    (config["teacher"]["control"] reads a config key, not an arm); an f-string's value keeps its {fields}."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    for previous, token in zip([None] + tokens, tokens):
        if token.type == tokenize.STRING and not (previous and previous.string == "["):
            yield token.start[0], re.fullmatch(r"[a-zA-Z]*(\'\'\'|\"\"\"|'|\")(.*)\1", token.string, re.S)[2]


def _code_files():
    files = [*(REPO / "subliminal_learning").rglob("*.py"), *(REPO / "scripts").glob("*.py"),
             *(REPO / "rules").glob("*.smk"), REPO / "Snakefile"]
    return [path for path in files if path != REPO / "subliminal_learning" / "design.py"]


def test_only_the_design_spells_an_arm_name_or_a_result_path():
    found = [f"{path.relative_to(REPO)}:{line}: {value}" for path in _code_files()
             for line, value in _string_literals(path)
             if value in ARM_NAMES or value.startswith(f"{design.RESULTS}/") or value == design.RESULTS]
    assert not found, "spelled outside subliminal_learning/design.py:\n" + "\n".join(found)


def test_the_literal_check_can_fail(tmp_path):
    spelled = tmp_path / "spelled.py"
    spelled.write_text('ARM = "cross_init"\nPATH = f"results/eval/{ARM}"\nKEY = config["teacher"]["control"]\nARMS = ("control",)\n')
    assert [value for _, value in _string_literals(spelled)] == ["cross_init", "results/eval/{ARM}", "control"]


TORCH_BLOCK = """import sys
class NoTorch:  # an import of torch, or of anything in it, raises ImportError
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError(f"torch is blocked: {name}")
sys.meta_path.insert(0, NoTorch())
"""


def test_the_analysis_package_imports_no_torch():
    """The statistics run in the stats environment, which has no torch: every analysis module (and the
    design and glue it uses) imports with torch blocked."""
    modules = sorted(f"subliminal_learning.analysis.{path.stem}"
                     for path in (REPO / "subliminal_learning" / "analysis").glob("*.py") if path.stem != "__init__")
    code = (TORCH_BLOCK + "import importlib\n"
            f"for name in {modules + ['subliminal_learning.benchmarks', 'subliminal_learning.config']!r}:\n"
            "    importlib.import_module(name)\n"
            "assert 'torch' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_torch_block_catches_a_module_that_imports_torch():
    code = TORCH_BLOCK + "import subliminal_learning.lm.training"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode != 0 and "torch" in result.stderr
