"""results/index.html (results/<scale>/index.html): one card per figure made so far, with its thumbnail,
caption, links (report, PDF, PNG, NetCDF, one CSV of source data per panel), parameters and provenance; and
results/comparison.html, our paper-scale numbers beside the published Fig. 3 and Fig. 4, cell by cell.
Written after every successful run (the Snakefile's onsuccess), from the files present: building one figure
never needs another."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import xarray as xr
import yaml

from microcircuits.report import COMPARED, comparison, published_image, published_values

STYLE = """
body { font-family: sans-serif; max-width: 70em; margin: 2em auto; color: #222; }
section { border-top: 1px solid #ccc; padding: 1em 0; }
img { max-width: 40em; border: 1px solid #ddd; }
th { text-align: left; padding-right: 1em; vertical-align: top; font-weight: normal; color: #555; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 85%; }
.scale { background: #fff3cd; padding: 0.5em; }
table.dataframe { border-collapse: collapse; font-size: 85%; }
table.dataframe td, table.dataframe th { padding: 0.15em 0.6em; border-bottom: 1px solid #eee; text-align: right; }
td.outside { color: firebrick; font-weight: bold; }
.pair { display: flex; gap: 1em; flex-wrap: wrap; align-items: flex-start; }
.pair figure { margin: 0; } .pair img { max-width: 33em; }
"""


def write_index(results: Path, figures: dict, configs: dict, scale: str) -> Path:
    """Write ``results/index.html`` for the figures of the registry ``figures`` whose pages exist."""
    cards = []
    for name, entry in figures.items():
        page = results / name / f"{name}.html"
        data = results / name / f"{name}.nc"
        if not (page.exists() and data.exists()):
            continue
        with xr.open_dataset(data) as ds:
            attrs = dict(ds.attrs)
        versions = json.loads(attrs.get("software_versions", "{}"))
        provenance = [("git revision", attrs.get("git_revision_of_runs", attrs.get("git_revision", "?"))),
                      ("microcircuits", attrs.get("microcircuits_version", "?")),
                      ("kernel sources", attrs.get("kernel_source_hash", "?")),
                      ("created", attrs.get("created", "?")), ("scale", attrs.get("scale", "?")),
                      ("packages", ", ".join(f"{k} {v}" for k, v in versions.items()))]
        config_text = yaml.safe_dump({name: configs[name]}, sort_keys=False, width=110)
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in provenance)
        title = html.escape(entry["title"])
        panels = entry.get("panels", {})
        csvs = [f'<a href="{name}/source_data/{name}_{p}.csv">{html.escape(p)}: {html.escape(d)}</a>'
                for p, d in panels.items() if (results / name / "source_data" / f"{name}_{p}.csv").exists()]
        source = f"<p>Source data (CSV, the values each panel draws): {' · '.join(csvs)}</p>" if csvs else ""
        compared = (f' · <a href="comparison.html#{name}">beside the published figure</a>' if name in COMPARED else "")
        cards.append(f"""
<section id="{name}">
  <h2>{title}</h2>
  <a href="{name}/{name}.html"><img src="{name}/{name}.png" alt="{title}"></a>
  <p class="caption">{html.escape(entry['caption'])}</p>
  <p><a href="{name}/{name}.html">rendered notebook</a> · <a href="{name}/{name}.pdf">PDF</a> ·
     <a href="{name}/{name}.png">PNG</a> · <a href="{name}/{name}.nc">data (NetCDF)</a> ·
     notebook <code>{html.escape(entry['notebook'])}</code> · config <code>config/{name}.yaml</code>{compared}</p>
  {source}
  <table>{rows}</table>
  <details><summary>parameters (config/{name}.yaml at scale {html.escape(scale)})</summary>
  <pre>{html.escape(config_text)}</pre></details>
</section>""")
    out = results / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error-neuron microcircuits: figures ({html.escape(scale)} scale)</title>
<style>{STYLE}</style></head><body>
<h1>"'Backpropagation and the brain' realized in cortical error neuron microcircuits": figures</h1>
<p>Max, Jaras, Granier, Wilmes &amp; Petrovici (bioRxiv 2025.07.11.664263), reproduced with the
<code>microcircuits</code> simulator.  Each figure links its executed notebook, the data it reads, the
parameters and the code version that made it.  <a href="comparison.html">Our numbers beside the published
figures</a>.</p>
{'' if scale == 'paper' else f'<p class="scale">Scale <b>{html.escape(scale)}</b>: few seeds and epochs, for a first look; not the paper&#39;s numbers.</p>'}
{''.join(cards) or '<p>No figure has been made yet at this scale.</p>'}
</body></html>
""", encoding="utf-8")
    tmp.replace(out)
    write_comparison(results, figures, scale)
    return out


def _image(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def write_comparison(results: Path, figures: dict, scale: str) -> Path:
    """results/comparison.html: for each figure with published values, our numbers beside them with a
    verdict per cell, and the two figures side by side; at another scale, why there is nothing to compare."""
    values = published_values()
    sections = []
    for name in COMPARED:
        title = html.escape(figures.get(name, {}).get("title", name))
        data = results / name / f"{name}.nc"
        head = f'<section id="{name}"><h2>{title}</h2>'
        if scale != "paper":
            body = (f"<p>These are <b>{html.escape(scale)}-scale</b> results (few seeds, few epochs): no comparison "
                    "with the published figure is meaningful.  Build the paper's scale "
                    f"(<code>snakemake --cores 8 {name}</code>) for one.</p>")
        elif not data.exists():
            body = f"<p>Not built yet: <code>snakemake --cores 8 {name}</code>.</p>"
        else:
            with xr.open_dataset(data) as ds:
                table = comparison(name, ds.load())
            counts = table.verdict.value_counts()
            rendered = table.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0)
            rendered = rendered.replace("<td>outside</td>", '<td class="outside">outside</td>')
            body = (f"<p><b>{counts.get('within', 0)} of {len(table)}</b> values within the published figure's "
                    f"uncertainty, {counts.get('outside', 0)} outside.  Quantity: {html.escape(values[name]['quantity'])}.  "
                    f"Uncertainty: {html.escape(str(values[name].get('uncertainty', 'exact values printed on the figure; within = the means differ by at most two standard errors of their difference')))}.</p>"
                    f'<div class="pair"><figure><img src="{name}/{name}.png" alt="ours"><figcaption>ours</figcaption></figure>'
                    f'<figure><img src="{_image(published_image(name))}" alt="published"><figcaption>published '
                    f"(the authors' rendering)</figcaption></figure></div>{rendered}")
        sections.append(head + body + "</section>")
    out = results / "comparison.html"
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Beside the published figures ({html.escape(scale)} scale)</title>
<style>{STYLE}</style></head><body>
<h1>Our numbers beside the published figures</h1>
<p>The published values were read from the authors' own rendered figures: {html.escape(values['source'])}.
Fig. 3's are read off log-scale box plots (±30 % for losses, ±5° for angles); Fig. 4's are printed on the
heat map (mean ± std over 10 seeds).  Provenance and verdict rules: <code>src/microcircuits/data/published/README.md</code>.
<a href="index.html">Back to the figures</a>.</p>
{''.join(sections)}
</body></html>
""", encoding="utf-8")
    tmp.replace(out)
    return out
