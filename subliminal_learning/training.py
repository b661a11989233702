"""Supervised fine-tuning with TRL's SFTTrainer, shared by base pretraining, teachers and students."""

import tempfile

import torch
import torch.nn.functional as F
from datasets import Dataset
from trl import SFTConfig, SFTTrainer

IGNORE = -100


class CompletionSFTTrainer(SFTTrainer):
    """TRL's SFTTrainer with a loss that runs the LM head only where a completion token is predicted.

    TRL's own fused LM head saves memory on large vocabularies but, on a CPU with a tiny model,
    doubles the step time; this loss is the same negative log-likelihood (completion tokens only)
    computed from the positions that predict a completion token in any row of the batch.
    """

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


def chat_example(prompt: str, completion: str) -> dict:
    """A conversational prompt/completion row: TRL computes the loss on the completion only."""
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "completion": [{"role": "assistant", "content": completion}],
    }


def sft(model, tokenizer, examples: list[dict], train_cfg: dict, seed: int, device: torch.device):
    """Fine-tune `model` in place on prompt/completion `examples` and return its loss history.

    `seed` fixes the data order, so students with the same seed see their rows in the same order.
    """
    with tempfile.TemporaryDirectory() as scratch:
        args = SFTConfig(
            output_dir=scratch,
            num_train_epochs=train_cfg["epochs"],
            learning_rate=train_cfg["learning_rate"],
            per_device_train_batch_size=train_cfg["batch_size"],
            gradient_accumulation_steps=train_cfg.get("gradient_accumulation_steps", 1),
            lr_scheduler_type="linear",
            warmup_steps=train_cfg.get("warmup_steps", 0),
            weight_decay=0.0,
            max_length=train_cfg.get("max_length", 256),
            seed=seed,
            data_seed=seed,
            use_cpu=device.type == "cpu",
            bf16=device.type == "cuda",
            gradient_checkpointing=train_cfg.get("gradient_checkpointing", False),
            logging_steps=max(1, train_cfg.get("logging_steps", 10)),
            save_strategy="no",
            report_to="none",
            dataloader_num_workers=0,
        )
        trainer_class = SFTTrainer if train_cfg.get("fused_lm_head", False) else CompletionSFTTrainer
        trainer = trainer_class(
            model=model, args=args, train_dataset=Dataset.from_list(examples), processing_class=tokenizer
        )
        trainer.train()
        return [entry for entry in trainer.state.log_history if "loss" in entry]
