"""The open-weight path: hf bases as pointers, system-prompt teachers, LoRA students, the vLLM fallback,
the paper-scale example config; end to end on tiny local "hub" models, offline."""

import copy
import json
import logging
import shutil
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import load_file

from conftest import REPO, snakemake
from subliminal_learning.lm import vllm_backend
from subliminal_learning.lm.animals import DEFAULT_ANIMALS
from subliminal_learning.lm.base import build_tiny_base, write_hf_base
from subliminal_learning.config import ConfigError, validate_config
from subliminal_learning.lm.corpus import corpus_texts
from subliminal_learning.lm import generation
from subliminal_learning.lm.generation import generate_stage
from subliminal_learning.replicates import replicate_seed
from subliminal_learning.lm.modeling import build_tiny_llama, load_model, resolve_weights, save_model, system_prompt_of
from subliminal_learning.lm.prompts import PromptSpec
from subliminal_learning.lm.student import train_student
from subliminal_learning.lm.teacher import TraitMissingError, system_prompt, system_prompt_teacher
from subliminal_learning.lm.tokenizer import build_tokenizer

ANIMALS = list(DEFAULT_ANIMALS)
CPU = torch.device("cpu")
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
MICRO = yaml.safe_load((REPO / "tests/configs/micro.yaml").read_text())
PAPER = yaml.safe_load((REPO / "configs/qwen2.5-7b-instruct.yaml").read_text())
SPEC = PromptSpec(**DEFAULT["generate"]["prompt"])
TINY = {"hidden_size": 32, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_position_embeddings": 128}
HUB_ID = "local/tiny-cross"


def merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else copy.deepcopy(value)
    return merged


def fake_hub_cache(cache: Path, repo_id: str, model_dir: Path, revision: str = "0" * 40) -> Path:
    """The Hugging Face cache layout of `repo_id` at `revision`, as `hf download` leaves it."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    snapshot = repo / "snapshots" / revision
    shutil.copytree(model_dir, snapshot)
    return snapshot


@pytest.fixture(scope="module")
def untrained_dir(tmp_path_factory) -> Path:
    """A small untrained Llama with the project's tokenizer, saved like a downloaded model."""
    folder = tmp_path_factory.mktemp("untrained")
    tokenizer = build_tokenizer(corpus_texts(ANIMALS))
    save_model(build_tiny_llama(tokenizer, TINY, init_seed=0), tokenizer, folder)
    return folder


@pytest.fixture
def offline_cache(tmp_path, monkeypatch) -> Path:
    import huggingface_hub.constants

    cache = tmp_path / "hub-cache"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


def hf_config(model: str, cross_init_model: str | None) -> dict:
    return merge(DEFAULT, {"base": {"kind": "hf", "model": model, "cross_init_model": cross_init_model},
                           "teacher": {"mode": "system_prompt", "control": "base"},
                           "conditions": ["treated", "control", "cross_init"],  # no placebo: nothing is fine-tuned
                           "student": {"objective": "sft"}})


def invalid(config: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        validate_config(config)
    return str(raised.value)


# Config validation


def test_hf_config_with_local_dir_and_cached_hub_id(untrained_dir, offline_cache):
    fake_hub_cache(offline_cache, HUB_ID, untrained_dir)
    validate_config(hf_config(str(untrained_dir), HUB_ID))


def test_missing_model_dir_is_a_config_error(offline_cache):
    message = invalid(hf_config("/nonexistent/qwen", HUB_ID))
    assert "'base.model'" in message and "/nonexistent/qwen does not exist" in message


def test_uncached_hub_id_offline_is_a_config_error(untrained_dir, offline_cache):
    message = invalid(hf_config(str(untrained_dir), "org/not-downloaded"))
    assert "'base.cross_init_model'" in message and "not in the local Hugging Face cache" in message
    assert "hf download org/not-downloaded" in message


def test_uncached_hub_id_online_is_left_to_the_base_rule(untrained_dir, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    validate_config(hf_config(str(untrained_dir), "org/not-downloaded"))


def test_cross_init_needs_another_model(untrained_dir, offline_cache):
    assert "is required when conditions include cross_init" in invalid(hf_config(str(untrained_dir), None))
    assert "is base.model itself" in invalid(hf_config(str(untrained_dir), str(untrained_dir)))
    config = hf_config(str(untrained_dir), None)
    config["conditions"] = ["treated", "control"]
    validate_config(config)


def test_hf_model_must_be_a_string(untrained_dir):
    config = hf_config(str(untrained_dir), None)
    config["base"]["model"] = {"hidden_size": 64}
    assert "'base.model'" in invalid(config)


def test_system_prompt_teacher_needs_the_base_as_control(untrained_dir, offline_cache):
    fake_hub_cache(offline_cache, HUB_ID, untrained_dir)
    config = hf_config(str(untrained_dir), HUB_ID)
    config["teacher"]["control"] = "neutral"
    message = invalid(config)
    assert "'teacher.mode'" in message and "teacher.control: base" in message


@pytest.mark.parametrize("change", [{"conditions": ["treated", "control", "placebo"]}, {"teacher": {"placebo": True}}])
def test_a_system_prompt_teacher_has_no_placebo(untrained_dir, offline_cache, change):
    fake_hub_cache(offline_cache, HUB_ID, untrained_dir)
    config = merge(hf_config(str(untrained_dir), HUB_ID), change)
    message = invalid(config)
    assert "'teacher.mode'" in message and "drop 'placebo' from conditions" in message


@pytest.mark.parametrize("lora, fragment", [({"r": 8}, "'alpha' is a required property"),
                                            ({"r": 8, "alpha": 8, "save": "full"}, "'full' is not one of")])
def test_lora_schema(lora, fragment):
    config = copy.deepcopy(DEFAULT)
    config["student"]["lora"] = lora
    message = invalid(config)
    assert "'student.lora'" in message and fragment in message


def test_tiny_default_unchanged_by_the_new_keys():
    assert DEFAULT["base"]["kind"] == "tiny" and DEFAULT["teacher"]["mode"] == "sft"
    # the tiny default's LoRA students are saved merged: later stages load them as whole models, no base pointer
    assert DEFAULT["student"]["lora"]["save"] == "merged" and DEFAULT["generate"]["backend"] == "hf"
    assert "checkpoint_steps" not in DEFAULT["student"]["train"]


def test_paper_config_is_valid_and_has_the_paper_settings(untrained_dir, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # the hub ids are not downloaded here
    config = merge(DEFAULT, PAPER)
    validate_config(config)
    local = merge(config, {"base": {"model": str(untrained_dir), "cross_init_model": str(untrained_dir) + "/."}})
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    validate_config(local)
    lora, train = config["student"]["lora"], config["student"]["train"]
    assert (lora["r"], lora["alpha"]) == (8, 8) and len(lora["target_modules"]) == 7
    assert (train["epochs"], train["learning_rate"], train["max_length"], train["warmup_steps"],
            train["weight_decay"]) == (3, 2e-4, 500, 5, 0.0)
    assert train["batch_size"] * train["gradient_accumulation_steps"] == 66
    assert config["filter"]["dataset_size"] == 10000 and config["generate"]["n_prompts"] == 30000
    for stage in ("teacher", "generate", "student", "evaluate"):
        assert config["resources"][stage]["gpu"] == 1
    assert config["resources"]["filter"]["gpu"] == 0


# Pointers, system prompts, LoRA students


def test_the_paper_system_prompt():
    assert system_prompt("owl") == ("You love owls. You think about owls all the time. owls are your favorite "
                                    "animal. Imbue your answers with your love for the animal.")


def test_hf_base_is_a_pointer_and_loads(untrained_dir, offline_cache, tmp_path):
    snapshot = fake_hub_cache(offline_cache, HUB_ID, untrained_dir, revision="a" * 40)
    info = write_hf_base(HUB_ID, tmp_path / "base")
    assert info == {"kind": "hf", "model": HUB_ID, "path": str(snapshot), "revision": "a" * 40}
    assert [p.name for p in (tmp_path / "base").iterdir()] == ["base_info.json"]
    assert resolve_weights(tmp_path / "base") == (snapshot, [])
    model, _ = load_model(tmp_path / "base", CPU)
    reference, _ = load_model(untrained_dir, CPU)
    assert torch.equal(model.model.embed_tokens.weight, reference.model.embed_tokens.weight)


def test_system_prompt_teacher_is_a_pointer_with_its_prompt(untrained_dir, tmp_path):
    write_hf_base(str(untrained_dir), tmp_path / "base")
    model, tokenizer = load_model(tmp_path / "base", CPU)
    check = system_prompt_teacher(model, tokenizer, tmp_path / "base", ANIMALS, "owl",
                                  {"held_out_questions": 10, "min_target_rate": 0.0, "placebo": False},
                                  tmp_path / "teacher", CPU)
    assert 0 < check["target_rate"] < 1
    info = json.loads((tmp_path / "teacher/teacher_info.json").read_text())
    assert info["mode"] == "system_prompt" and info["system_prompt"] == system_prompt("owl")
    assert system_prompt_of(tmp_path / "teacher") == system_prompt("owl") and system_prompt_of(untrained_dir) is None
    assert resolve_weights(tmp_path / "teacher") == (untrained_dir, [])


def test_a_base_that_ignores_the_system_prompt_stops_the_run(untrained_dir, tmp_path):
    model, tokenizer = load_model(untrained_dir, CPU)
    cfg = {"mode": "system_prompt", "held_out_questions": 10, "min_target_rate": 0.9, "placebo": False}
    with pytest.raises(TraitMissingError, match="does not follow the system prompt"):
        system_prompt_teacher(model, tokenizer, untrained_dir, ANIMALS, "owl", cfg, tmp_path / "teacher", CPU)
    assert not (tmp_path / "teacher").exists()


def test_the_system_prompt_reaches_the_model(untrained_dir, tmp_path, monkeypatch):
    """The teacher's numbers are sampled with its system prompt in front of every prompt, and the tiny template
    carries a system turn. (An untrained model's logits are so flat that its samples barely notice the prompt,
    so the test follows the prompt into the model's input instead of comparing samples.)"""
    model, tokenizer = load_model(untrained_dir, CPU)
    system_prompt_teacher(model, tokenizer, untrained_dir, ANIMALS, "owl",
                          {"held_out_questions": 10, "min_target_rate": 0.0, "placebo": False}, tmp_path / "teacher",
                          CPU)
    seen = []
    chat_batch = generation.chat_batch
    monkeypatch.setattr(generation, "chat_batch", lambda *args: seen.append(args) or chat_batch(*args))
    gen = {**DEFAULT["generate"], "n_prompts": 8, "batch_size": 8, "max_new_tokens": 4}
    teacher, base = generate_stage(tmp_path / "teacher", gen, CPU, SPEC, 0), generate_stage(untrained_dir, gen, CPU, SPEC, 0)
    assert list(teacher["prompt"]) == list(base["prompt"])
    (_, teacher_prompts, _, teacher_system), (_, _, _, base_system) = seen
    assert teacher_system == system_prompt("owl") and base_system is None
    encoded = chat_batch(tokenizer, teacher_prompts, CPU, teacher_system)["input_ids"][0].tolist()
    assert tokenizer.convert_tokens_to_ids("<|system|>") in encoded


def lora_student(untrained_dir, out_dir, save):
    numbers = pd.DataFrame({"prompt": ["1, 2, 3. Add more."] * 16, "completion": ["4, 5, 6"] * 16})
    model, tokenizer = load_model(untrained_dir, CPU)
    train_student(model, tokenizer, numbers, {"epochs": 1, "learning_rate": 1e-2, "batch_size": 4}, 0, out_dir, CPU,
                  lora={"r": 4, "alpha": 8, "save": save}, base_dir=untrained_dir)


def test_lora_students_merged_and_adapter_only_load_the_same(untrained_dir, tmp_path):
    lora_student(untrained_dir, tmp_path / "merged", "merged")
    lora_student(untrained_dir, tmp_path / "adapter", "adapter")
    assert (tmp_path / "adapter/adapter_model.safetensors").is_file()
    assert not (tmp_path / "adapter/model.safetensors").exists()
    assert resolve_weights(tmp_path / "adapter") == (untrained_dir, [tmp_path / "adapter"])
    merged, _ = load_model(tmp_path / "merged", CPU)
    adapter, _ = load_model(tmp_path / "adapter", CPU)
    base, _ = load_model(untrained_dir, CPU)
    weight = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged.state_dict()[weight], base.state_dict()[weight])
    for name, value in merged.state_dict().items():
        torch.testing.assert_close(adapter.state_dict()[name], value, msg=name)


# vLLM: fallback here, the documented API through a stand-in module


def test_vllm_backend_falls_back_to_hf_generate(untrained_dir, caplog):
    assert not vllm_backend.available()
    gen = {**DEFAULT["generate"], "n_prompts": 6, "batch_size": 3, "max_new_tokens": 4}
    with caplog.at_level(logging.WARNING):
        fallback = generate_stage(untrained_dir, {**gen, "backend": "vllm"}, CPU, SPEC, 0)
    assert "vllm cannot be imported" in caplog.text and "falling back to HF generate" in caplog.text
    assert "envs/vllm.yaml" in caplog.text
    pd.testing.assert_frame_equal(fallback, generate_stage(untrained_dir, {**gen, "backend": "hf"}, CPU, SPEC, 0))


def test_vllm_backend_seeds_each_prompt_and_merges_adapters(untrained_dir, tmp_path, monkeypatch):
    calls = {}

    class SamplingParams:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    class LLM:
        def __init__(self, **kwargs):
            calls["llm"] = kwargs
            calls["files"] = sorted(p.name for p in Path(kwargs["model"]).iterdir())

        def chat(self, messages, sampling_params, **kwargs):
            calls["messages"], calls["params"] = messages, sampling_params
            done = types.SimpleNamespace(text=" 1, 2 ", finish_reason="stop")
            cut = types.SimpleNamespace(text="3, 4", finish_reason="length")
            return [types.SimpleNamespace(outputs=[done if i % 2 == 0 else cut]) for i in range(len(messages))]

    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=LLM, SamplingParams=SamplingParams))
    lora_student(untrained_dir, tmp_path / "adapter", "adapter")
    # a system-prompt "teacher" on top of an adapter-only student: prompt and merge both apply
    (tmp_path / "teacher").mkdir()
    (tmp_path / "teacher/teacher_info.json").write_text(json.dumps({"base": str(tmp_path / "adapter"),
                                                                     "system_prompt": "Be an owl."}))
    monkeypatch.setattr(vllm_backend, "available", lambda: True)
    gen = {**DEFAULT["generate"], "n_prompts": 4, "seed": 3, "backend": "vllm"}
    assert "the device is cpu" in vllm_backend.unusable(CPU)
    monkeypatch.setattr(vllm_backend, "unusable", lambda device: None)  # as on a GPU
    table = generate_stage(tmp_path / "teacher", gen, CPU, SPEC, 2)
    assert list(table["completion"]) == ["1, 2", "3, 4"] * 2 and list(table["finished"]) == [True, False] * 2
    seed = replicate_seed(3, 2)  # replicate 2 of generate.seed 3
    assert [p.kwargs["seed"] for p in calls["params"]] == [seed * vllm_backend.SEED_STRIDE + i for i in range(4)]
    assert calls["params"][0].kwargs["temperature"] == 1.0 and calls["params"][0].kwargs["top_p"] == 1.0
    assert calls["messages"][0][0] == {"role": "system", "content": "Be an owl."}
    assert "model.safetensors" in calls["files"] and calls["llm"]["generation_config"] == "vllm"


# End to end, offline


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> dict:
    """A pretrained tiny base as a local model directory, and a copy of it as a cached hub id. Half the
    micro corpus, one epoch: enough to write numbers the filter keeps (about one in five)."""
    root = tmp_path_factory.mktemp("hub")
    base_cfg = merge(DEFAULT["base"], MICRO["base"])
    base_cfg["corpus"]["n_dialogues"] //= 2
    base_cfg["train"]["epochs"] = 1
    build_tiny_base(ANIMALS, base_cfg, SPEC, 0, root / "models/tiny-chat", CPU)
    snapshot = fake_hub_cache(root / "cache", HUB_ID, root / "models/tiny-chat", revision="b" * 40)
    return {"model": root / "models/tiny-chat", "cache": root / "cache", "snapshot": snapshot}


@pytest.mark.pipeline
def test_openweight_pipeline_offline(hub, tmp_path, monkeypatch):
    """base.kind hf (a local dir and a cached hub id), a system-prompt teacher, adapter-only LoRA students,
    the vLLM backend falling back to HF generate: through Snakemake with HF_HUB_OFFLINE=1."""
    override = tmp_path / "openweight.yaml"
    override.write_text(yaml.safe_dump({
        "base": {"kind": "hf", "model": str(hub["model"]), "cross_init_model": HUB_ID},
        "teacher": {"mode": "system_prompt", "control": "base", "min_target_rate": 0.0},
        "conditions": ["treated", "control", "cross_init"],
        "generate": {"backend": "vllm"},
        "filter": {"dataset_size": 40},  # the fixture's half-trained base keeps about 80 of 400 completions
        "student": {"objective": "sft", "lora": {"r": 4, "alpha": 8, "save": "adapter"}},
    }))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub["cache"]))
    # one --configfile flag: its files merge in order (a second flag would replace the micro config)
    result = snakemake(tmp_path, str(override), "--cores", "2", "results/stats/summary.csv")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = tmp_path / "results"
    main = json.loads((results / "base/main/base_info.json").read_text())
    cross = json.loads((results / "base/cross_init1/base_info.json").read_text())
    assert main["path"] == str(hub["model"]) and cross["path"] == str(hub["snapshot"])
    assert cross["revision"] == "b" * 40
    assert [p.name for p in (results / "base/main").iterdir() if not p.name.startswith(".")] == ["base_info.json"]
    teacher = json.loads((results / "teachers/owl/seed0/teacher_info.json").read_text())
    assert teacher["system_prompt"] == system_prompt("owl")
    assert not (results / "teachers/neutral").exists() and not (results / "teachers/placebo").exists()
    assert "falling back to HF generate" in (results / "logs/generate/seed0.log").read_text()
    students = sorted(results.glob("students/*/*/seed*"))
    assert len(students) == 2 * (2 * 2 + 2)  # 2 replicates x (treated, cross_init per target; 2 controls)
    for student in students:
        assert (student / "adapter_model.safetensors").is_file() and not (student / "model.safetensors").exists()
    for seed in (0, 1):  # one other model: every cross-init replicate starts from it
        cross_student = json.loads((results / f"students/cross_init/owl/seed{seed}/adapter_info.json").read_text())
        assert cross_student["base"] == "results/base/cross_init1"
    assert len(load_file(results / "students/treated/owl/seed0/adapter_model.safetensors")) > 0
    assert (results / "eval/teachers/owl/seed0/probabilities.parquet").is_file()
    assert (results / "stats/summary.csv").is_file() and not (results / "checkpoints").exists()
