"""The audit figure: per read, each data set's canaries minus the reference's on every animal (rows: data sets,
columns: animals). A box marks what a data set carries, a dot the animal the audit called."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..analysis.plots import save
from .stats import NONE


def audit_plot(shifts: pd.DataFrame, calls: pd.DataFrame, animals: list[str], path: str | Path) -> None:
    reads = list(dict.fromkeys(shifts["read"]))
    names = list(dict.fromkeys(shifts["data"]))
    fig = Figure(figsize=(11, 1.4 + 0.3 * len(names) * len(reads)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(reads), 1))
    limit = float(np.nanmax(np.abs(shifts["shift"]))) or 1.0
    for ax, read in zip(axes, reads):
        wide = shifts[shifts["read"] == read].pivot(index="data", columns="animal", values="shift")
        rows = [name for name in names if name in wide.index]
        wide = wide.loc[rows, animals]
        image = ax.imshow(wide.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        mine = calls[calls["read"] == read].set_index("data")
        for i, name in enumerate(rows):
            truth, call = mine.loc[name, "truth"], mine.loc[name, "call"]
            if truth in animals:
                ax.add_patch(Rectangle((animals.index(truth) - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black",
                                       linewidth=1.5))
            if call != NONE:
                ax.plot(animals.index(call), i, "o", color="black", markersize=4)
        labels = [f"{name} ({mine.loc[name, 'call']}, p {mine.loc[name, 'p']:.2g})" for name in rows]
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.set_xticks(range(len(animals)), animals, rotation=60, fontsize=8)
        named = mine[~mine["truth"].isin([NONE, "unknown"])]
        nulls = mine[mine["truth"] == NONE]
        ax.set_title(f"canaries read the {read.replace('_', '-')}: right animal named for "
                     f"{int(named['correct'].astype(bool).sum())} of {len(named)} trait data sets; alarms on "
                     f"{int((nulls['call'] != NONE).sum())} of {len(nulls)} without a trait", fontsize=9, loc="left")
    fig.colorbar(image, ax=list(axes), label="log-odds shift vs the base's own numbers", shrink=0.8)
    save(fig, path)
