"""What the reports share: the published values, the verdicts that set our numbers beside them, and the
source-data files."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from microcircuits.report import comparison, published_image, published_values, write_source_data

NETS = ["2-1", "4-2-1", "8-4-2-1", "16-8-4-2-1", "32-16-8-4-2-1"]
MODELS = ["ann", "errormc", "dPC", "sacramento2018"]


def fig3_like(scale: str = "paper", factor: float = 1.0) -> xr.Dataset:
    """A Fig. 3 dataset whose every median is the published value times `factor` (3 seeds, areas pooled)."""
    values = published_values()["fig3"]
    loss = np.zeros((5, 4, 2, 3))
    angle = np.full((5, 4, 2, 3, 5), np.nan)
    for j, m in enumerate(MODELS):
        for k in range(5):
            loss[k, j, 0] = values["test_loss"][m][k] * factor * np.array([0.9, 1.0, 1.1])
            key = "areas_1" if k == 0 else "areas_5"
            loss[k, j, 1] = values["untrained_median"][key][m] * factor
            if m in values["angle_median_deg"]:
                angle[k, j, 0, :, : k + 1] = values["angle_median_deg"][m][k] * factor
    return xr.Dataset({"test_loss": (("net", "model", "variant", "seed"), loss),
                       "angle_dw_bp": (("net", "model", "variant", "seed", "area"), angle)},
                      coords={"net": NETS, "model": MODELS, "variant": ["trained", "untrained"], "seed": [1, 2, 3]},
                      attrs={"scale": scale})


def test_published_values_carry_their_provenance():
    values = published_values()
    assert "572953f" in values["source"]
    assert np.shape(values["fig4"]["mean"]) == (4, 4) and values["fig4"]["mean"][0][0] == 26.4
    assert published_image("fig3").stat().st_size > 10_000 and published_image("fig4").exists()


def test_fig3_numbers_equal_to_the_published_are_within():
    table = comparison("fig3", fig3_like())
    assert len(table) == 4 * 5 + 4 * 2 + 3 * 5  # losses, untrained bars at 1 and 5 areas, angles
    assert (table.verdict == "within").all(), table[table.verdict != "within"]


def test_fig3_numbers_thrice_the_published_are_outside():
    table = comparison("fig3", fig3_like(factor=3.0))
    floor = table.published.str.startswith("≤")
    zero_angle = (table.published == "0")  # three times 0° is still 0°
    assert (table.verdict[~floor & ~zero_angle] == "outside").all()
    assert (table.verdict[floor] == "outside").all()  # 3e-5 is above the floor's 1.3e-5


def test_no_comparison_at_another_scale_or_for_other_figures():
    assert comparison("fig3", fig3_like(scale="smoke")) is None
    assert comparison("fig5", fig3_like()) is None


def test_fig4_verdict_uses_the_standard_error_of_the_difference():
    values = published_values()["fig4"]
    mean = np.array(values["mean"])
    spread = np.array([-1.0, 0.0, 1.0]) * 0.2
    ds = xr.Dataset({"test_loss": (("n_rep", "n_err", "seed"), mean[:, :, None] + spread)},
                    coords={"n_rep": values["n_rep"], "n_err": values["n_err"], "seed": [1, 2, 3]},
                    attrs={"scale": "paper"})
    table = comparison("fig4", ds)
    assert len(table) == 16 and (table.verdict == "within").all()
    shifted = ds.copy(deep=True)
    shifted["test_loss"] = shifted.test_loss + 3.0  # far beyond two standard errors (≈ 0.3-0.8)
    assert (comparison("fig4", shifted).verdict == "outside").all()
    subset = ds.sel(n_rep=[50, 1000], n_err=[50, 1000])
    assert len(comparison("fig4", subset)) == 4  # only the cells that ran


def test_source_data_is_written_whole_and_stale_panels_go(tmp_path):
    import pandas as pd
    (tmp_path / "figX_c.csv").write_text("old\n")
    written = write_source_data(tmp_path, "figX", {"a": pd.DataFrame({"x": [1.0, 2.5]}), "b": pd.DataFrame({"y": [3]})})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figX_a.csv", "figX_b.csv"] == [p.name for p in written]
    assert (tmp_path / "figX_a.csv").read_text().splitlines() == ["x", "1", "2.5"]


@pytest.mark.parametrize("figure", ["fig3", "fig4"])
def test_published_images_are_pngs(figure):
    assert published_image(figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_comparison_page_sets_paper_scale_numbers_beside_the_published(tmp_path):
    """results/comparison.html at the paper's scale: a verdict per value and both figures; at another scale,
    a sentence that nothing is compared."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("index_page", Path(__file__).parents[1] / "workflow" / "scripts" / "index.py")
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    (tmp_path / "fig3").mkdir()
    ds = fig3_like(factor=3.0).assign_coords(model_label=("model", ["ANN", "error MC", "dendritic hPC", "Sacramento"]))
    ds.to_netcdf(tmp_path / "fig3" / "fig3.nc")
    (tmp_path / "fig3" / "fig3.png").write_bytes(published_image("fig3").read_bytes())
    html = page.write_comparison(tmp_path, {"fig3": {"title": "Fig. 3"}}, "paper").read_text()
    assert '<td class="outside">outside</td>' in html and "of 43</b> values" in html
    assert "data:image/png;base64," in html and 'src="fig3/fig3.png"' in html
    assert "Not built yet: <code>snakemake --cores 8 fig4</code>" in html
    smoke = page.write_comparison(tmp_path, {"fig3": {"title": "Fig. 3"}}, "smoke").read_text()
    assert smoke.count("no comparison with the published figure is meaningful") == 2
