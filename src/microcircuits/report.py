"""What the figure reports share: the published values our figures are set beside (with a verdict per cell),
the source-data tables (one CSV per panel, the values drawn), and the mark on a figure of another scale.

The published values (`data/published/values.yaml`) were read from the authors' own rendered figures; their
provenance and read-off uncertainty travel with them (`data/published/README.md`)."""

from __future__ import annotations

import os
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .models import MODELS

PUBLISHED = resources.files("microcircuits") / "data" / "published"
LOSS_TOLERANCE = 0.30  # relative, Fig. 3 losses read off a log axis
ANGLE_TOLERANCE = 5.0  # degrees, Fig. 3 angles
LOSS_FLOOR = 1e-5  # Fig. 3's axis floor: a box "on the floor" means at or below it
COMPARED = ("fig3", "fig4")


def published_values() -> dict[str, Any]:
    """The values read from the published Fig. 3 and Fig. 4, with their source and uncertainty."""
    return yaml.safe_load((PUBLISHED / "values.yaml").read_text())


def published_image(figure: str) -> Path:
    """The authors' rendered figure (a PNG kept with the values)."""
    return Path(str(PUBLISHED / f"{figure}_authors.png"))


def published_pal(name: str = "fig3abc_stored.nc"):
    """The PAL authors' stored results (data/published/README.md), as an xarray Dataset."""
    import xarray as xr
    return xr.load_dataset(Path(__file__).parent / "data" / "published" / "pal" / name)


def mean_and_spread(ax, x, values, colour, label=None, dashed=False, axis=0, quantiles=False) -> None:
    """How the PAL figures show seeds: the mean and a band of ± one standard deviation over ``axis`` (NaN
    ignored), or with ``quantiles`` (for a log scale) the median and the band from the 16th to the 84th
    percentile."""
    with warnings.catch_warnings():  # all-NaN columns (times a cell did not reach) stay NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        if quantiles:
            low, centre, high = np.nanpercentile(values, [16, 50, 84], axis=axis)
        else:
            centre, std = np.nanmean(values, axis=axis), np.nanstd(values, axis=axis)
            low, high = centre - std, centre + std
    ok = np.isfinite(centre)
    ax.plot(np.asarray(x)[ok], centre[ok], color=colour, lw=1.3, ls="--" if dashed else "-", label=label)
    ax.fill_between(np.asarray(x)[ok], low[ok], high[ok], color=colour, alpha=0.2, lw=0)


def _loss_verdict(ours: float, published: float, on_floor: bool) -> tuple[str, str]:
    if on_floor:
        return ("within" if ours <= LOSS_FLOOR * (1 + LOSS_TOLERANCE) else "outside"), f"≤ {LOSS_FLOOR:g} (+30 %)"
    ok = abs(ours / published - 1) <= LOSS_TOLERANCE
    return ("within" if ok else "outside"), "±30 %"


def fig3_comparison(ds) -> pd.DataFrame:
    """Fig. 3, cell by cell: the median test loss of the trained students, the untrained medians the figure
    draws as bars (1 and 5 areas), and the median angle to backprop's updates pooled over seeds and areas."""
    values = published_values()["fig3"]
    nets = list(ds.net.values)
    labels = dict(zip(ds.model.values, ds.model_label.values if "model_label" in ds else ds.model.values))
    rows = []
    for m, per_area in values["test_loss"].items():
        if m not in ds.model.values:
            continue
        for k, (pub, floor) in enumerate(zip(per_area, values["at_or_below_floor"][m])):
            ours = float(np.nanmedian(ds.test_loss.sel(net=nets[k], model=m, variant="trained").values))
            verdict, tol = _loss_verdict(ours, pub, floor)
            rows.append(("test loss (median, trained)", str(labels[m]), k + 1, ours,
                         f"≤ {pub:g}" if floor else f"{pub:g}", tol, verdict))
    for key, areas in values["untrained_median"].items():
        k = int(key.split("_")[1])
        for m, pub in areas.items():
            if m not in ds.model.values:
                continue
            ours = float(np.nanmedian(ds.test_loss.sel(net=nets[k - 1], model=m, variant="untrained").values))
            verdict, tol = _loss_verdict(ours, pub, False)
            rows.append(("test loss (median, untrained)", str(labels[m]), k, ours, f"{pub:g}", tol, verdict))
    if "angle_dw_bp" in ds:
        for m, per_area in values["angle_median_deg"].items():
            if m not in ds.model.values:
                continue
            for k, pub in enumerate(per_area):
                pooled = ds.angle_dw_bp.sel(net=nets[k], model=m, variant="trained").values.ravel()
                ours = float(np.nanmedian(pooled))
                verdict = "within" if abs(ours - pub) <= ANGLE_TOLERANCE else "outside"
                rows.append(("angle to backprop [deg] (median)", str(labels[m]), k + 1, ours, f"{pub:g}",
                             f"±{ANGLE_TOLERANCE:g}°", verdict))
    return pd.DataFrame(rows, columns=["quantity", "model", "areas", "ours", "published", "uncertainty", "verdict"])


def fig4_comparison(ds) -> pd.DataFrame:
    """Fig. 4, cell by cell: the mean test loss over seeds per (n_R, n_E). The published means are exact
    (printed on the heat map) over 10 seeds; ours are over the seeds that ran. A cell is within when the two
    means differ by at most two standard errors of their difference."""
    values = published_values()["fig4"]
    rows = []
    for i, r in enumerate(values["n_rep"]):
        for j, e in enumerate(values["n_err"]):
            if r not in ds.n_rep.values or e not in ds.n_err.values:
                continue
            x = ds.test_loss.sel(n_rep=r, n_err=e).values
            x = x[np.isfinite(x)]
            mean, std = float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0
            pub, pub_std = values["mean"][i][j], values["std"][i][j]
            se = float(np.sqrt(pub_std ** 2 / 10 + std ** 2 / max(x.size, 1)))
            verdict = "within" if abs(mean - pub) <= 2 * se else "outside"
            rows.append((r, e, x.size, mean, std, pub, pub_std, f"±{2 * se:.2f} (2 SE)", verdict))
    return pd.DataFrame(rows, columns=["n_R", "n_E", "seeds", "ours (mean)", "ours (std)", "published (mean)",
                                       "published (std)", "uncertainty", "verdict"])


COMPARISONS = {"fig3": fig3_comparison, "fig4": fig4_comparison}


def comparison(figure: str, ds) -> pd.DataFrame | None:
    """Our numbers beside the published ones for `figure`, or None where the paper gives none or the data
    are not at the paper's scale (a smoke run says nothing about the published numbers)."""
    if figure not in COMPARISONS or ds.attrs.get("scale", "paper") != "paper":
        return None
    return COMPARISONS[figure](ds)


def mark_scale(fig, ds, y: float = 1.0) -> None:
    """Write on a figure of another scale than the paper's what it is, so it is never taken for the paper's."""
    scale = ds.attrs.get("scale", "paper")
    if scale != "paper":
        what = f"{ds.sizes['seed']} seeds and a few epochs per run" if "seed" in ds.sizes else "shortened runs"
        fig.text(0.5, y, f"{scale} scale: {what}, not the paper's numbers", ha="center", va="bottom",
                 color="firebrick", fontsize=9)


def write_source_data(folder: str | os.PathLike, figure: str, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """One CSV per panel (`<figure>_<panel>.csv`) with exactly the values the panel draws, each written to a
    temporary name and renamed; files of panels no longer drawn are removed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for panel, frame in tables.items():
        out = folder / f"{figure}_{panel}.csv"
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        frame.to_csv(tmp, index=False, float_format="%.10g")
        tmp.replace(out)
        written.append(out)
    for stale in set(folder.glob(f"{figure}_*.csv")) - set(written):
        stale.unlink()
    return written


# ---------------------------------------------------------------------------------------------------------
# the multilayer comparison (Fig. 3 and the figures that are Fig. 3 with other models: A1, A2, C1)

LOSS_AXIS_FLOOR = 1e-5  # Fig. 3 draws losses on a symlog axis from here; smaller values sit on the floor


def _families(ds) -> list[str]:
    return [str(v) for v in (ds.base_model.values if "base_model" in ds.coords else ds.model.values)]


def _boxes(ax, samples, positions, width, colour) -> None:
    """Box plots in the paper's style: filled in the model's colour, black outline and median."""
    bp = ax.boxplot(samples, positions=positions, widths=width, patch_artist=True, manage_ticks=False,
                    flierprops=dict(markersize=3))
    for box in bp["boxes"]:
        box.set(facecolor=colour, edgecolor="k", linewidth=0.8)
    for median in bp["medians"]:
        median.set(color="k")


def multilayer_figure(ds, labels: dict | None = None, colours: dict | None = None, angles: bool = True):
    """Fig. 3's panels for any dataset on (net, model, variant, seed): test loss boxes of the trained seeds
    over translucent bars at the untrained medians (a), and the angle to backprop's updates pooled over seeds
    and areas (b, models with angles only); the legend above both panels.  `labels` and `colours` map
    models (colours also model families) to legend entries and colours; the defaults are the dataset's
    labels and the paper's colours."""
    import matplotlib.pyplot as plt

    models = [str(m) for m in ds.model.values]
    families = dict(zip(models, _families(ds)))
    labels = {**dict(zip(models, map(str, ds.model_label.values if "model_label" in ds.coords else models))),
              **(labels or {})}
    colours = colours or {}
    paper = {name: family.colour for name, family in MODELS.items()}  # the paper's colour of each family
    colour = {m: colours.get(m, colours.get(families[m], paper.get(families[m], f"C{i}")))
              for i, m in enumerate(models)}
    complexity = ds.complexity.values
    width = 0.8 / len(models)
    if angles:
        fig, (ax_loss, ax_angle) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw=dict(width_ratios=[2, 1]))
    else:
        fig, ax_loss = plt.subplots(figsize=(7.5, 4))
    for i, m in enumerate(models):
        x = complexity + (i - (len(models) - 1) / 2) * width
        trained = np.clip(finite_runs(ds).test_loss.sel(model=m, variant="trained").values, LOSS_AXIS_FLOOR, None)
        untrained = np.nanmedian(ds.test_loss.sel(model=m, variant="untrained").values, axis=-1)
        ax_loss.bar(x, untrained, width=width, color=colour[m], alpha=0.25, zorder=0)
        _boxes(ax_loss, [t[np.isfinite(t)] for t in trained], x, width * 0.8, colour[m])
        ax_loss.plot([], [], "s", color=colour[m], label=labels[m])
    ax_loss.set_yscale("symlog", linthresh=LOSS_AXIS_FLOOR)
    ax_loss.set_ylim(0.95 * LOSS_AXIS_FLOOR, 0.4)
    ax_loss.set_xticks(complexity)
    ax_loss.set_xlabel("task complexity (number of areas)")
    ax_loss.set_ylabel("test loss (MSE)")
    fig.legend(*ax_loss.get_legend_handles_labels(), loc="lower center", bbox_to_anchor=(0.5, 0.97),
               ncol=min(len(models), 4), frameon=False, fontsize=9)
    if angles:
        ax_loss.text(-0.1, 1.02, "a", transform=ax_loss.transAxes, fontweight="bold", fontsize=12)
        with_angles = [m for m in models if np.isfinite(ds.angle_dw_bp.sel(model=m, variant="trained")).any()
                       and np.nanmax(ds.angle_dw_bp.sel(model=m, variant="trained").values) > 0]
        aw = 0.8 / max(1, len(with_angles))
        for i, m in enumerate(with_angles):
            x = complexity + (i - (len(with_angles) - 1) / 2) * aw
            pooled = [ds.angle_dw_bp.sel(net=n, model=m, variant="trained").values.ravel() for n in ds.net.values]
            _boxes(ax_angle, [v[np.isfinite(v)] for v in pooled], x, aw * 0.8, colour[m])
        ax_angle.set_ylim(0, 180)
        ax_angle.set_yticks(range(0, 181, 45))
        ax_angle.set_xticks(complexity)
        ax_angle.set_xlabel("task complexity (number of areas)")
        ax_angle.set_ylabel(r"$\angle(\Delta W, \Delta W^{\mathrm{ANN}})$ [deg]")
        ax_angle.text(-0.2, 1.02, "b", transform=ax_angle.transAxes, fontweight="bold", fontsize=12)
    fig.tight_layout()
    return fig


def finite_runs(ds):
    """The dataset with the losses and angles of diverged seeds (kept with --allow-divergence) set to NaN, so
    that no figure draws them as numbers."""
    if "diverged" not in ds:
        return ds
    out = ds.copy()
    for v in ("test_loss", "angle_dw_bp"):
        if v in out:
            out[v] = out[v].where(out.diverged != 1)
    return out


def multilayer_summary(ds, labels: dict | None = None) -> pd.DataFrame:
    """Per network and model: median test loss of the trained seeds with its interquartile range, the
    untrained median (the bar) and the median angle to backprop's updates (seeds and areas pooled), over the
    seeds that did not diverge; how many did, where any did."""
    diverged = ds.diverged if "diverged" in ds else None
    ds = finite_runs(ds)
    models = [str(m) for m in ds.model.values]
    labels = {**dict(zip(models, map(str, ds.model_label.values if "model_label" in ds.coords else models))),
              **(labels or {})}
    rows = []
    for net in ds.net.values:
        for m in models:
            trained = ds.test_loss.sel(net=net, model=m, variant="trained").values
            lo, med, hi = np.nanpercentile(trained, [25, 50, 75])
            angles = ds.angle_dw_bp.sel(net=net, model=m, variant="trained").values.ravel()
            rows.append({"net": str(net), "model": labels[m], "test loss (median)": med, "25 %": lo, "75 %": hi,
                         "untrained (median)": np.nanmedian(ds.test_loss.sel(net=net, model=m, variant="untrained").values),
                         "angle [deg] (median)": np.nanmedian(angles) if np.isfinite(angles).any() else np.nan})
            if diverged is not None and (diverged == 1).any():
                rows[-1]["diverged seeds"] = int((diverged.sel(net=net, model=m, variant="trained") == 1).sum())
    return pd.DataFrame(rows)


def multilayer_source_data(ds) -> dict[str, pd.DataFrame]:
    """The values Fig. 3's panels draw: every seed's test loss (a) and every seed's and area's angle (b)."""
    areas = dict(zip(ds.net.values, ds.complexity.values))
    loss = ds.test_loss.to_dataframe().reset_index()[["net", "model", "variant", "seed", "test_loss"]]
    angle = (ds.angle_dw_bp.sel(variant="trained").to_dataframe().reset_index()
             [["net", "model", "seed", "area", "angle_dw_bp"]].dropna())
    return {"a": loss.assign(areas=loss.net.map(areas)), "b": angle}
