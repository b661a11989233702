"""What every rule script does first: log to the rule's log file, use its threads and device."""

import logging
import sys
from contextlib import contextmanager


@contextmanager
def rule_context(log_path: str, threads: int, device: str | None = None):
    """Send stdout, stderr (progress bars) and logging to `log_path`.

    Yields the torch device for model stages (`device` given); CPU-only stages import no torch.
    """
    with open(log_path, "w", buffering=1) as log:
        sys.stdout = sys.stderr = log
        logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(message)s", force=True)
        try:
            yield _torch_device(device, threads) if device else None
        except BaseException:
            logging.exception("stage failed")
            raise
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


def _torch_device(device: str, threads: int):
    import torch

    from .lm.modeling import resolve_device

    torch.set_num_threads(max(1, threads))
    return resolve_device(device)
