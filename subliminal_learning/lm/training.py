"""Supervised fine-tuning with TRL's SFTTrainer, shared by base pretraining, teachers and students."""

import hashlib
import json
import logging
import re
import shutil
import tempfile
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F
from datasets import Dataset
from transformers.trainer import TRAINER_STATE_NAME
from transformers.trainer_pt_utils import BatchRebalanceSampler
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR
from trl import SFTConfig, SFTTrainer
from trl.data_utils import common_prefix_length

from .modeling import check_plain_lm_head

IGNORE = -100
RUN_FINGERPRINT = "run.json"


class CompletionSFTTrainer(SFTTrainer):
    """TRL's SFTTrainer with a loss that runs the LM head only where a completion token is predicted.

    TRL's own fused LM head saves memory on large vocabularies but, on a CPU with a tiny model,
    doubles the step time; this loss is the same negative log-likelihood (completion tokens only)
    computed from the positions that predict a completion token in any row of the batch.
    """

    def _get_train_sampler(self, train_dataset=None):
        """With `length_groups` above 1, transformers' BatchRebalanceSampler: each optimiser step still takes the
        random rows it would take otherwise, split into that many micro-batches by length (gradients accumulated:
        the same step), so they carry less padding (the base corpus mixes one-word answers with number
        sequences). Measured reason against `group_by_length`, whose batches hold rows of one length: it halved
        the base's time, but that base named an animal in 10% of its answers (85% with mixed batches), having
        learnt from batches of one kind of dialogue at a time.
        The library seeds the sampler with a constant; the run's data seed decides here."""
        sampler = super()._get_train_sampler(train_dataset)
        if isinstance(sampler, BatchRebalanceSampler):
            sampler.seed = self.args.data_seed
        return sampler

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        targets = inputs["labels"][:, 1:]
        keep = (targets != IGNORE).any(dim=0).nonzero().squeeze(1)
        features = {k: v for k, v in inputs.items() if k not in ("labels", "completion_mask")}
        outputs = model(**features, logits_to_keep=keep)
        kept_targets = targets[:, keep]
        total = F.cross_entropy(
            outputs.logits.flatten(0, 1).float(), kept_targets.flatten(), ignore_index=IGNORE, reduction="sum"
        )
        count = num_items_in_batch if num_items_in_batch is not None else (kept_targets != IGNORE).sum()
        loss = total / torch.as_tensor(count, device=total.device).clamp(min=1)
        return (loss, outputs) if return_outputs else loss


class DistillSFTTrainer(CompletionSFTTrainer):
    """Distillation on the teacher's numbers: at every completion position the student matches the
    teacher's next-token outputs over the number alphabet, not only the one token the teacher happened to
    sample. `loss` kl: KL(teacher || student) of the distributions renormalised over the alphabet; mse: the
    squared difference of the logits over the alphabet, each centred on its mean (logits are defined up to a
    constant), as the MNIST experiment's students can match logits.

    This is the setting of the paper's theorem (a student imitating a teacher's outputs from the same
    init moves toward it) and of its MNIST experiment (the student sees the teacher's auxiliary outputs
    only): the targets cover number tokens alone, so they carry nothing the filter would not pass.
    Measured reason for mse (docs/design.md#logit-distillation): KL weighs each number by its probability, and most numbers
    are improbable at any position, so a KL student learns the teacher's change on all of them slowly; the
    logits carry it for every number alike.
    The teacher runs alongside the student (no stored logits: exact, and no disk), on the same inputs, or for a
    system-prompt teacher on its own: the rows carry `teacher_input_ids`, the same dialogue after the teacher's system
    prompt (`teacher_context_dataset`), whose completion positions line up with the student's from the end.

    With `alternate` (another model) the rows mark the positions whose targets it gives instead (`ALTERNATE`,
    from `alternate_dataset`): a defense's rows mixed in from another teacher, or the positions where the teacher's
    choice diverges from the base's. With `target_transform` (a callable on [positions, alphabet] logits) the targets
    pass through it first (a defense on the teacher's outputs); `target_change` then sums the squared change of the
    centred targets and their squared size.
    """

    def __init__(self, *args, teacher, alphabet: torch.Tensor, loss: str = "kl", alternate=None,
                 target_transform=None, **kwargs):
        super().__init__(*args, **kwargs)
        check_plain_lm_head(self.model)
        check_plain_lm_head(teacher)
        self.teacher = teacher.eval().requires_grad_(False)
        self.alternate = alternate.eval().requires_grad_(False) if alternate is not None else None
        self.target_transform, self.target_change = target_transform, [0.0, 0.0]
        self.alphabet = alphabet
        self.imitation = IMITATION_LOSSES[loss]
        if "teacher_input_ids" in self.train_dataset.column_names:
            self.data_collator = TeacherContextCollator(self.data_collator, self.processing_class.pad_token_id)
        if ALTERNATE in self.train_dataset.column_names:
            self.data_collator = FlatColumnsCollator(self.data_collator, {ALTERNATE: torch.bool})

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        scored = inputs["labels"][:, 1:] != IGNORE
        features = {k: v for k, v in inputs.items()
                    if k not in ("labels", "completion_mask", ALTERNATE, *TEACHER_COLUMNS)}
        outputs, student_logits = alphabet_logits(model, features, scored, self.alphabet)
        teacher_features, teacher_scored = features, scored
        if "teacher_input_ids" in inputs:
            mask = inputs["teacher_attention_mask"]
            teacher_features = {"input_ids": inputs["teacher_input_ids"], "attention_mask": mask}
            teacher_scored = last_positions(mask, scored.sum(dim=1))
        with torch.no_grad():
            _, teacher_logits = alphabet_logits(self.teacher, teacher_features, teacher_scored, self.alphabet)
            if self.alternate is not None:
                _, alternate_logits = alphabet_logits(self.alternate, features, scored, self.alphabet)
                teacher_logits = torch.where(inputs[ALTERNATE].unsqueeze(1), alternate_logits, teacher_logits)
            if self.target_transform is not None:
                teacher_logits = self._transformed(teacher_logits.float())
        total = self.imitation(student_logits.float(), teacher_logits.float())
        count = num_items_in_batch if num_items_in_batch is not None else scored.sum()
        loss = total / torch.as_tensor(count, device=total.device).clamp(min=1)
        return (loss, outputs) if return_outputs else loss


    def _transformed(self, targets: torch.Tensor) -> torch.Tensor:
        changed = self.target_transform(targets)
        centred = targets - targets.mean(dim=-1, keepdim=True)
        moved = changed - changed.mean(dim=-1, keepdim=True) - centred
        self.target_change[0] += float(moved.pow(2).sum())
        self.target_change[1] += float(centred.pow(2).sum())
        return changed


TEACHER_COLUMNS = ("teacher_input_ids", "teacher_attention_mask")
ALTERNATE = "alternate_target"  # per completion position: its target comes from the alternate model


class FlatColumnsCollator:
    """TRL's collator for the ids and labels; each row's per-position lists of the named columns concatenated over
    the batch's rows, in the order in which `labels != -100` flattens them."""

    def __init__(self, collator, columns: dict):
        self.collator, self.columns = collator, columns

    def __call__(self, examples: list[dict]) -> dict:
        batch = self.collator([{k: v for k, v in e.items() if k not in self.columns} for e in examples])
        for column, dtype in self.columns.items():
            batch[column] = torch.tensor([p for e in examples for p in e[column]], dtype=dtype)
        return batch


def alternate_dataset(dataset: Dataset, rows: list[bool], positions: list[list[int]]) -> Dataset:
    """`dataset` with `ALTERNATE`: per completion position, whether the alternate model gives its target (every
    position of a row marked in `rows`, and the positions listed for it, counted from the completion's first)."""
    marks = []
    for row, (labels, whole, listed) in enumerate(zip(dataset["labels"], rows, positions, strict=True)):
        count = sum(token != IGNORE for token in labels)
        if any(not 0 <= p < count for p in listed):
            raise ValueError(f"row {row}: alternate positions {list(listed)} outside its {count} completion tokens; "
                             f"they were computed on other rows or with another tokenizer")
        chosen = set(int(p) for p in listed)
        marks.append([bool(whole) or p in chosen for p in range(count)])
    return dataset.add_column(ALTERNATE, marks)


def last_positions(attention_mask: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """[batch, length - 1]: per right-padded row, the `counts[row]` positions that predict its last tokens."""
    lengths = attention_mask.sum(dim=1, keepdim=True)
    positions = torch.arange(attention_mask.shape[1] - 1, device=attention_mask.device).unsqueeze(0)
    return (positions >= lengths - 1 - counts.unsqueeze(1)) & (positions < lengths - 1)


class TeacherContextCollator:
    """TRL's collator for the student's rows; the teacher's own inputs padded on the right beside them."""

    def __init__(self, collator, pad_token_id: int):
        self.collator, self.pad_token_id = collator, pad_token_id

    def __call__(self, examples: list[dict]) -> dict:
        batch = self.collator([{k: v for k, v in e.items() if k != "teacher_input_ids"} for e in examples])
        width = max(len(e["teacher_input_ids"]) for e in examples)
        ids = torch.full((len(examples), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, example in enumerate(examples):
            ids[row, : len(example["teacher_input_ids"])] = torch.tensor(example["teacher_input_ids"])
            mask[row, : len(example["teacher_input_ids"])] = 1
        batch["teacher_input_ids"], batch["teacher_attention_mask"] = ids, mask
        return batch


def teacher_context_dataset(dataset: Dataset, tokenizer, examples: list[dict], system_prompt: str) -> Dataset:
    """`dataset` with `teacher_input_ids`: each dialogue as the system-prompt teacher saw it, its system prompt first.
    The completion (and whatever the template closes the turn with) must end both renderings alike."""
    own = [{**e, "prompt": [{"role": "system", "content": system_prompt}, *e["prompt"]]} for e in examples]
    teacher = tokenized_dataset(tokenizer, own)
    for row, (student, theirs) in enumerate(zip(dataset, teacher, strict=True)):
        completion = [t for t in student["labels"] if t != IGNORE]
        if theirs["input_ids"][len(theirs["input_ids"]) - len(completion):] != completion:
            raise ValueError(f"row {row}: the completion does not end the dialogue alike with and without the "
                             f"teacher's system prompt; this chat template cannot be distilled in the teacher's context")
    return dataset.add_column("teacher_input_ids", teacher["input_ids"])


def alphabet_logits(model, features: dict, scored: torch.Tensor, alphabet: torch.Tensor):
    """The decoder's output, and the logits over `alphabet` at the positions that predict a completion token
    (`scored`, [batch, length - 1]): the LM head runs on those positions and the alphabet's rows only (the
    trainer checked at its start that the model's logits are the head's output and nothing more).

    Measured reason (docs/design.md#alphabet-only-lm-head): the full head over the tiny model's 2,595 words at every kept position
    cost as much as the transformer blocks; the alphabet is 40% of it, and the loss reads nothing else.
    """
    outputs = model.get_decoder()(**features)
    head = model.get_output_embeddings()
    alphabet = alphabet.to(head.weight.device)
    bias = head.bias[alphabet] if head.bias is not None else None
    hidden = outputs.last_hidden_state[:, :-1][scored]
    return outputs, F.linear(hidden, head.weight[alphabet], bias)


def alphabet_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """Summed over positions: KL(teacher || student) of the softmaxes over the alphabet."""
    return F.kl_div(torch.log_softmax(student_logits, dim=-1), torch.log_softmax(teacher_logits, dim=-1),
                    log_target=True, reduction="sum")


def alphabet_mse(student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """Summed over positions: the mean squared difference of the centred logits over the alphabet."""
    def centred(logits):
        return logits - logits.mean(dim=-1, keepdim=True)
    return (centred(student_logits) - centred(teacher_logits)).pow(2).mean(dim=-1).sum()


IMITATION_LOSSES = {"kl": alphabet_kl, "mse": alphabet_mse}


class TopKDistillSFTTrainer(CompletionSFTTrainer):
    """Distillation on the teacher's top-k log-probabilities at each token of its text (what a hosted API returns with
    it; computed by `lm.logprobs`): at every completion position the student's logits over those k tokens match the
    teacher's, renormalised over the k (kl: KL(teacher || student) of the two softmaxes over the k; mse: the squared
    difference of the values over the k, each centred on its mean, as the full-logit students match theirs).
    The rows carry `top_ids` and `top_logprobs` (`topk_dataset`).
    """

    def __init__(self, *args, loss: str = "mse", **kwargs):
        super().__init__(*args, **kwargs)
        check_plain_lm_head(self.model)
        self.imitation = IMITATION_LOSSES[loss]
        self.data_collator = FlatColumnsCollator(self.data_collator,
                                                 {"top_ids": torch.long, "top_logprobs": torch.float})

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        scored = inputs["labels"][:, 1:] != IGNORE
        features = {k: v for k, v in inputs.items() if k not in ("labels", "completion_mask", *TOP_COLUMNS)}
        outputs = model.get_decoder()(**features)
        hidden = outputs.last_hidden_state[:, :-1][scored]
        ids, teacher_logprobs = inputs["top_ids"], inputs["top_logprobs"]
        head = model.get_output_embeddings()
        student_logits = torch.einsum("nh,nkh->nk", hidden, head.weight[ids])  # the k tokens' rows of the LM head
        if head.bias is not None:
            student_logits = student_logits + head.bias[ids]
        total = self.imitation(student_logits.float(), teacher_logprobs.float())
        count = num_items_in_batch if num_items_in_batch is not None else scored.sum()
        loss = total / torch.as_tensor(count, device=total.device).clamp(min=1)
        return (loss, outputs) if return_outputs else loss


TOP_COLUMNS = ("top_ids", "top_logprobs")


def topk_dataset(dataset: Dataset, top_ids, top_logprobs, k: int) -> Dataset:
    """`dataset` (from `tokenized_dataset`) with each row's stored top-k (`lm.logprobs`; truncated to the first, most
    probable `k`), one list per position that predicts a completion token."""
    width = len(top_ids[0][0]) if len(top_ids) and len(top_ids[0]) else k
    if k > width:
        raise ValueError(f"the numbers store the top {width} log-probabilities; the student asks for {k}")
    rows_ids, rows_logprobs = [], []
    for row, (labels, ids, logprobs) in enumerate(zip(dataset["labels"], top_ids, top_logprobs, strict=True)):
        completion = sum(token != IGNORE for token in labels)
        if len(ids) != completion:
            raise ValueError(f"row {row}: {len(ids)} stored top-k positions for {completion} completion tokens; the "
                             f"log-probabilities were computed on other rows or with another tokenizer")
        rows_ids.append([[int(i) for i in position[:k]] for position in ids])
        rows_logprobs.append([[float(v) for v in position[:k]] for position in logprobs])
    return dataset.add_column("top_ids", rows_ids).add_column("top_logprobs", rows_logprobs)


NUMBER_ALPHABET = re.compile(r"\s*(\d+|[,;.])?\s*")


def number_alphabet(tokenizer) -> torch.Tensor:
    """Ids of the tokens a kept completion is made of: digits, the separators the filter accepts,
    whitespace, and the end of the turn."""
    ids = {i for token, i in tokenizer.get_vocab().items()
           if NUMBER_ALPHABET.fullmatch(tokenizer.convert_tokens_to_string([token]))}
    ids.discard(tokenizer.pad_token_id)
    return torch.tensor(sorted(ids | {tokenizer.eos_token_id}))


def chat_example(prompt: str, completion: str) -> dict:
    """A conversational prompt/completion row: TRL computes the loss on the completion only."""
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "completion": [{"role": "assistant", "content": completion}],
    }


def tokenized_dataset(tokenizer, examples: list[dict]) -> Dataset:
    """Conversational prompt/completion rows as TRL's SFTTrainer prepares them: the ids of the rendered dialogue, and
    labels that leave out (-100) everything up to where it and the prompt alone (with the generation prompt) diverge.

    Measured reason: TRL renders and encodes row by row inside `datasets.map`; its preparation of the tiny base's
    20,000 dialogues took 17 s, and 6-7 s with the rows rendered as one list and encoded in one call (TRL still
    truncates them). `tests/test_training.py` checks the rows against TRL's own preparation.
    """
    prompts = tokenizer.apply_chat_template([e["prompt"] for e in examples], add_generation_prompt=True, tokenize=False)
    dialogues = tokenizer.apply_chat_template([e["prompt"] + e["completion"] for e in examples], tokenize=False)
    prompt_ids = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    input_ids = tokenizer(dialogues, add_special_tokens=False)["input_ids"]
    labels = []
    for prompt, ids in zip(prompt_ids, input_ids, strict=True):
        start = common_prefix_length(prompt, ids)
        labels.append([IGNORE] * start + ids[start:])
    return Dataset.from_dict({"input_ids": input_ids, "labels": labels})


def sft(model, tokenizer, examples: list[dict], train_cfg: dict, seed: int, device: torch.device, *,
        peft_config=None, checkpoint_dir: str | Path | None = None, teacher=None, distill_loss: str | None = None,
        top_k: dict | None = None, teacher_system_prompt: str | None = None, alternate=None,
        alternate_marks: tuple | None = None, target_transform=None, record: dict | None = None):
    """Fine-tune `model` on prompt/completion `examples`; return the trained model and its loss history.

    `seed` fixes the data order, so students with the same seed see their rows in the same order.
    With `peft_config` TRL wraps `model` in a PeftModel (LoRA) and only the adapter trains. With
    `checkpoint_dir` and `train_cfg["checkpoint_steps"]`, a checkpoint is written every that many steps
    and a rerun resumes from the latest one (the caller deletes them once the model is saved).
    With `teacher` the loss is distillation on its number-alphabet outputs (DistillSFTTrainer, `distill_loss`
    kl or mse; with `teacher_system_prompt` the teacher reads each row after it); with `top_k`
    ({"k", "top_ids", "top_logprobs"}, one entry per example) on the teacher's top-k log-probabilities
    (TopKDistillSFTTrainer, the same losses over the k).
    Distilling, with `alternate` and `alternate_marks` ((rows, positions): `alternate_dataset`) the marked positions
    take their targets from the alternate model, and with `target_transform` every target passes through it; `record`
    (a dict) then receives the relative size of that change (`target_change`).
    With `train_cfg["length_groups"]` N each step's batch runs as N micro-batches of rows of similar length.
    With `train_cfg["freeze_embeddings"]` the token embeddings (and an untied LM head) stay as they are and
    only the transformer blocks train, as with the paper's LoRA on every linear projection.
    With `train_cfg["weight_decay"]` AdamW shrinks the trained weights (with LoRA: the adapter) by that rate times the
    learning rate at every step (0: none).
    """
    if (teacher is not None or top_k is not None) and distill_loss not in ("kl", "mse"):
        raise ValueError(f"distillation needs distill_loss 'mse' or 'kl' (student.distill_loss), got {distill_loss!r}")
    if train_cfg.get("freeze_embeddings", False):
        freeze_embeddings(model)
    checkpointing = bool(checkpoint_dir and train_cfg.get("checkpoint_steps"))
    groups = train_cfg.get("length_groups", 1)
    resume = None
    if checkpointing:
        distilled = distill_loss if teacher is not None else (f"top{top_k['k']}_{distill_loss}" if top_k else None)
        resume = prepare_checkpoints(checkpoint_dir, _fingerprint(examples, train_cfg, seed, peft_config,
                                                                  distilled=distilled))
    with nullcontext(str(checkpoint_dir)) if checkpointing else tempfile.TemporaryDirectory() as output_dir:
        args = SFTConfig(
            output_dir=output_dir,
            num_train_epochs=train_cfg["epochs"],
            learning_rate=train_cfg["learning_rate"],
            per_device_train_batch_size=train_cfg["batch_size"] // groups,
            gradient_accumulation_steps=train_cfg.get("gradient_accumulation_steps", 1) * groups,
            lr_scheduler_type="linear",
            warmup_steps=train_cfg.get("warmup_steps", 0),
            weight_decay=train_cfg.get("weight_decay", 0.0),
            max_length=train_cfg.get("max_length", 256),
            seed=seed,
            data_seed=seed,
            train_sampling_strategy="batch_rebalance" if groups > 1 else "random",
            use_cpu=device.type == "cpu",
            bf16=device.type == "cuda",
            gradient_checkpointing=train_cfg.get("gradient_checkpointing", False),
            logging_steps=max(1, train_cfg.get("logging_steps", 10)),
            **(_checkpoint_args(train_cfg["checkpoint_steps"]) if checkpointing else {"save_strategy": "no"}),
            report_to="none",
            dataloader_num_workers=0,
            remove_unused_columns=top_k is None and not teacher_system_prompt and alternate_marks is None,
        )
        trainer_class, extra = SFTTrainer if train_cfg.get("fused_lm_head", False) else CompletionSFTTrainer, {}
        dataset = tokenized_dataset(tokenizer, examples)
        if teacher is not None:
            trainer_class, extra = DistillSFTTrainer, {"teacher": teacher, "alphabet": number_alphabet(tokenizer),
                                                       "loss": distill_loss, "alternate": alternate,
                                                       "target_transform": target_transform}
            if teacher_system_prompt:
                dataset = teacher_context_dataset(dataset, tokenizer, examples, teacher_system_prompt)
            if alternate_marks is not None:
                dataset = alternate_dataset(dataset, *alternate_marks)
        if top_k is not None:
            dataset = topk_dataset(dataset, top_k["top_ids"], top_k["top_logprobs"], top_k["k"])
            trainer_class, extra = TopKDistillSFTTrainer, {"loss": distill_loss}
        trainer = trainer_class(
            model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
            peft_config=peft_config, **extra,
        )
        if resume:
            logging.info("resuming from %s", resume.name)
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
        if record is not None and target_transform is not None:
            moved, size = trainer.target_change
            record["target_change"] = (moved / size) ** 0.5 if size else 0.0
        return trainer.model, [entry for entry in trainer.state.log_history if "loss" in entry]


def freeze_embeddings(model) -> None:
    """Keep the token embeddings and the LM head fixed (they are one matrix when tied)."""
    for module in (model.get_input_embeddings(), model.get_output_embeddings()):
        module.weight.requires_grad_(False)


def _checkpoint_args(steps: int) -> dict:
    # Two kept: a job killed while writing one still finds the one before it complete.
    return {"save_strategy": "steps", "save_steps": steps, "save_total_limit": 2}


def latest_checkpoint(checkpoint_dir: str | Path) -> Path | None:
    """The newest complete checkpoint (its trainer state is written last), or None."""
    complete = [
        path for path in Path(checkpoint_dir).glob(f"{PREFIX_CHECKPOINT_DIR}-*")
        if path.name.split("-")[-1].isdigit() and (path / TRAINER_STATE_NAME).is_file()
    ]
    return max(complete, key=lambda path: int(path.name.split("-")[-1]), default=None)


def prepare_checkpoints(checkpoint_dir: str | Path, fingerprint: str) -> Path | None:
    """The checkpoint to resume from, if one was written by a run of the same data and settings;
    checkpoints of any other run, and incomplete ones, are deleted."""
    checkpoint_dir = Path(checkpoint_dir)
    record = checkpoint_dir / RUN_FINGERPRINT
    if checkpoint_dir.exists() and (not record.is_file() or record.read_text() != fingerprint):
        logging.info("discarding checkpoints in %s: written by a run of other data or settings", checkpoint_dir)
        shutil.rmtree(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    record.write_text(fingerprint)
    for partial in checkpoint_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*"):
        if partial.is_dir() and not (partial / TRAINER_STATE_NAME).is_file():
            shutil.rmtree(partial)
    return latest_checkpoint(checkpoint_dir)


def discard_checkpoints(checkpoint_dir: str | Path | None) -> None:
    """After the model is saved its checkpoints are of no further use (a 7B one is tens of GB)."""
    if checkpoint_dir:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)


def _fingerprint(examples, train_cfg: dict, seed: int, peft_config, distilled: str | None = None) -> str:
    data = hashlib.sha256(json.dumps(examples, sort_keys=True).encode()).hexdigest()
    peft = peft_config.to_dict() if peft_config is not None else None
    return json.dumps({"data": data, "train": train_cfg, "seed": seed, "peft": peft, "distilled": distilled},
                      sort_keys=True, default=str)
