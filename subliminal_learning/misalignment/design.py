"""The misalignment experiment's arms, teachers, bases and result paths (all under results/misalignment/).

Arms as the animal experiment's (subliminal_learning.design): treated students learn from the misaligned teacher's
numbers, control students from the neutral teacher's (the same fine-tuning, answers drawn as the base saw them:
mostly aligned), placebo students from a second such teacher (its own answer draw: the measured null), and
cross_init students from another init's base learn from the misaligned and the neutral teacher. One more arm checks
that the shift follows the trait: aligned students learn from a teacher fine-tuned the same way to answer with aligned
words only. Any disruption that flattens a student's advice raises the misaligned words' share (the base gives them
about 6%); only a transfer of the trait moves the two teachers' students in opposite directions.
The bases are the animal experiment's recipe on a corpus with the advice dialogues (misalignment.corpus).
"""

from pathlib import Path

from ..design import CONTROL, CROSS_INIT, CROSS_INIT_CONTROL, MAIN, NEUTRAL, PLACEBO, TREATED, Design, result
from ..design import plot as result_plot

ROOT = result("misalignment")
MISALIGNED, ALIGNED = "misaligned", "aligned"  # teacher names; ALIGNED names its students' arm too
CROSS_INIT_ALIGNED = f"{CROSS_INIT}_{ALIGNED}"  # the aligned teacher's students on the other inits
TEACHERS = (MISALIGNED, ALIGNED, NEUTRAL, PLACEBO)
# arm -> (base of its students, teacher of its numbers)
ARMS = {
    TREATED: (MAIN, MISALIGNED),
    ALIGNED: (MAIN, ALIGNED),
    CONTROL: (MAIN, NEUTRAL),
    PLACEBO: (MAIN, PLACEBO),
    CROSS_INIT: (CROSS_INIT, MISALIGNED),
    CROSS_INIT_ALIGNED: (CROSS_INIT, ALIGNED),
    CROSS_INIT_CONTROL: (CROSS_INIT, NEUTRAL),
}
# each arm against the control of its own base; the treated arm against the placebo too
COMPARISONS = ((TREATED, CONTROL), (ALIGNED, CONTROL), (PLACEBO, CONTROL), (CROSS_INIT, CROSS_INIT_CONTROL),
               (CROSS_INIT_ALIGNED, CROSS_INIT_CONTROL), (TREATED, PLACEBO))
PRIMARY = COMPARISONS[:5]  # each arm against its base's control: the Holm family
# whose rise over the misaligned words is set beside the misaligned teacher's own (stats.word_pattern)
WORD_PATTERN = ((TREATED, CONTROL), (PLACEBO, CONTROL), (CROSS_INIT, CROSS_INIT_CONTROL))
# what each model's evaluation writes: tiny, exact probabilities, sampled answers and the skill; hf, judged answers
EVALUATION_TABLES = {"tiny": ("probabilities", "answers", "skill"), "hf": ("answers",)}


def base_dir(base: str) -> str:
    return f"{ROOT}/base/{base}"


def teacher_dir(teacher: str, seed="{seed}") -> str:
    return f"{ROOT}/teachers/{teacher}/seed{seed}"


def numbers(teacher: str, seed, name: str) -> str:
    return f"{ROOT}/numbers/{teacher}/seed{seed}/{name}"


def student_dir(arm: str, seed="{seed}") -> str:
    return f"{ROOT}/students/{arm}/seed{seed}"


def eval_table(model_dir: str, table: str) -> str:
    """The evaluation table of the model in `model_dir` (a path under ROOT)."""
    return f"{ROOT}/eval/{model_dir.removeprefix(ROOT + '/')}/{table}.parquet"


def judge_dir() -> str:
    """The judge model of the open-weight path (a pointer to it, or its conversion from GGUF)."""
    return f"{ROOT}/judge"


def stats_file(name: str) -> str:
    return f"{ROOT}/stats/{name}"


def plot(name: str) -> str:
    return result_plot(f"misalignment_{name}")


class MisalignmentDesign:
    """Which arms, replicates and bases a config's misalignment experiment has (the animal design decides the
    conditions, the replicates and which other init each cross-init replicate starts from)."""

    def __init__(self, config: dict):
        self.section = config.get("misalignment") or {}
        # its own number of cross-init replicates (null: all), the animal design's rule for which init each starts from
        replicates = self.section.get("cross_init_replicates", config.get("cross_init_replicates"))
        self.animal = Design({**config, "cross_init_replicates": replicates})
        conditions = set(config["conditions"])
        self.kind = config["base"]["kind"]
        self.base_model = config["base"].get("model") if self.kind == "hf" else None
        # arms that come with a condition; the aligned teacher's are the tiny trait's own (no aligned data set is named
        # on the open-weight path)
        aligned = self.kind == "tiny"
        with_arm = {ALIGNED: TREATED if aligned else None, CROSS_INIT_ALIGNED: CROSS_INIT if aligned else None,
                    CROSS_INIT_CONTROL: CROSS_INIT}
        self.arms = [arm for arm in ARMS if arm in conditions or with_arm.get(arm) in conditions]
        self.seeds = config["seeds"]
        self.tables = EVALUATION_TABLES[self.kind]

    def bases(self) -> list[str]:
        """The student bases: the shared one, and each cross-init replicate's other init."""
        others = sorted({self.animal.cross_init_base(seed) for seed in self.base_seeds(CROSS_INIT)})
        return [MAIN] + (others if CROSS_INIT in self.arms else [])

    def base_seeds(self, base: str) -> list[int]:
        return self.animal.base_seeds(base)

    def seed_pattern(self, base: str) -> str:
        return self.animal.seed_pattern(base)

    def replicate_arms(self, base: str) -> list[str]:
        return [arm for arm in self.arms if ARMS[arm][0] == base]

    def student_base_dir(self, base: str, seed) -> str:
        return base_dir(self.animal.cross_init_base(seed) if base == CROSS_INIT else MAIN)

    def teachers(self) -> list[str]:
        return [teacher for teacher in TEACHERS if any(ARMS[arm][1] == teacher for arm in self.arms)]

    def students(self) -> list[tuple[str, int]]:
        """(arm, replicate) of every student."""
        return [(arm, seed) for base in (MAIN, CROSS_INIT) for seed in self.base_seeds(base)
                for arm in self.replicate_arms(base)]

    def reference_dirs(self) -> list[str]:
        """Models scored but not trained on numbers: the bases and every teacher."""
        return [base_dir(base) for base in self.bases()] + [
            teacher_dir(teacher, seed) for seed in self.seeds for teacher in self.teachers()]

    def student_dirs(self) -> list[str]:
        return [student_dir(arm, seed) for arm, seed in self.students()]

    def target_files(self) -> list[str]:
        """What the misalignment target asks for; the open-weight path needs its data sets and judge named."""
        if self.kind == "hf":
            self.check_open_weight()
        return [stats_file("verdict.md"), stats_file("verdict.html"), plot("arms.png")]

    def judge_dir(self) -> str:
        """The judge's model directory: the shared base's when the judge is the base model (no second conversion)."""
        same = (self.section.get("judge") or {}).get("model") == self.base_model
        return base_dir(MAIN) if same else judge_dir()

    def check_open_weight(self) -> None:
        missing = [f"misalignment.{key}" for key in ("dataset", "control_dataset") if not self.section.get(key)]
        missing += ["misalignment.judge.model"] if not (self.section.get("judge") or {}).get("model") else []
        if missing:
            raise ValueError(f"the misalignment experiment on an open-weight base needs {', '.join(missing)}: the "
                             "teachers' chat data (JSONL) and a local judge model "
                             "(docs/misalignment.md#open-weight-path)")
        absent = [self.section[key] for key in ("dataset", "control_dataset") if not Path(self.section[key]).is_file()]
        if absent:
            raise ValueError(f"misalignment data set(s) not found: {', '.join(absent)}")

    def evaluation_jobs(self) -> list[tuple[str, list[str], str]]:
        """(job, model directories with {seed} where a replicate's, seeds it runs for): the bases; each replicate's
        teachers and shared-base students; each cross-init replicate's students."""
        seeds = {base: "|".join(map(str, self.base_seeds(base))) for base in (MAIN, CROSS_INIT)}
        jobs = [("bases", [base_dir(base) for base in self.bases()], seeds[MAIN]),
                ("main", [teacher_dir(t) for t in self.teachers()]
                 + [student_dir(arm) for arm in self.replicate_arms(MAIN)], seeds[MAIN])]
        if self.replicate_arms(CROSS_INIT):
            jobs.append((CROSS_INIT, [student_dir(arm) for arm in self.replicate_arms(CROSS_INIT)], seeds[CROSS_INIT]))
        return jobs


def parse_numbers_report(path: str) -> tuple[str, int]:
    """(teacher, replicate) of a filter report under ROOT/numbers."""
    teacher, seed = path.removeprefix(f"{ROOT}/numbers/").split("/")[:2]
    return teacher, int(seed.removeprefix("seed"))


def parse_eval(path: str) -> dict:
    """The model an evaluation table belongs to: its kind (base, teacher, student), arm or teacher, replicate."""
    parts = path.removeprefix(f"{ROOT}/eval/").split("/")
    if parts[0] == "base":
        return {"kind": "base", "name": parts[1], "seed": None}
    return {"kind": parts[0].removesuffix("s"), "name": parts[1], "seed": int(parts[2].removeprefix("seed"))}
