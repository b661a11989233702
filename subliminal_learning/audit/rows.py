"""The per-row score: how much more likely a row's completion is under a canary than under the base (mean log-
probability per completion token), checked on a teacher's kept rows that no student trained on
(`lm.filtering.held_out_rows`)."""

import numpy as np
import pandas as pd
import torch
from scipy.stats import bootstrap, mannwhitneyu
from sklearn.metrics import roc_auc_score

from ..lm.logprobs import padded
from ..lm.training import IGNORE, chat_example, tokenized_dataset


@torch.inference_mode()
def completion_logprob(model, tokenizer, rows: pd.DataFrame, device, batch_size: int = 64) -> np.ndarray:
    """Each row's mean log-probability per completion token (the end of the turn included)."""
    examples = [chat_example(p, c) for p, c in zip(rows["prompt"], rows["completion"])]
    data = list(tokenized_dataset(tokenizer, examples))
    means = []
    for start in range(0, len(data), batch_size):
        ids, labels, mask = padded(data[start:start + batch_size], tokenizer.pad_token_id)
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, :-1].float()
        targets = labels[:, 1:].to(device)
        scored = targets != IGNORE
        logprobs = torch.log_softmax(logits, dim=-1).gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        means.extend(((logprobs * scored).sum(dim=1) / scored.sum(dim=1)).cpu().tolist())
    return np.asarray(means)


def row_scores(canary, base, tokenizer, rows: pd.DataFrame, device) -> np.ndarray:
    """The log-likelihood shift of each row: its completion's mean token log-probability under the canary minus under
    the base."""
    return completion_logprob(canary, tokenizer, rows, device) - completion_logprob(base, tokenizer, rows, device)


def auroc(positive: np.ndarray, negative: np.ndarray, confidence: float, seed: int) -> dict:
    """How well the score ranks the positive rows above the negative ones: AUROC (scikit-learn), a percentile
    bootstrap interval over both groups' rows, and the Mann-Whitney p of "no better than chance" (one-sided)."""
    def statistic(a, b):
        return roc_auc_score(np.r_[np.ones(len(a)), np.zeros(len(b))], np.r_[a, b])

    if min(len(positive), len(negative)) < 2:  # every kept row went into the data set: nothing held out to score
        return {"auroc": np.nan, "auroc_ci_low": np.nan, "auroc_ci_high": np.nan, "positives": len(positive),
                "negatives": len(negative), "p": np.nan}

    interval = bootstrap((positive, negative), statistic, vectorized=False, confidence_level=confidence,
                         n_resamples=2000, method="percentile", random_state=np.random.default_rng(seed))
    return {"auroc": statistic(positive, negative), "auroc_ci_low": interval.confidence_interval.low,
            "auroc_ci_high": interval.confidence_interval.high, "positives": len(positive), "negatives": len(negative),
            "p": mannwhitneyu(positive, negative, alternative="greater").pvalue}
