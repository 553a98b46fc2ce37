"""results/index.html (results/<scale>/index.html): one card per figure made so far, with its thumbnail,
links, parameters and provenance.  Written after every successful run (the Snakefile's onsuccess), from the
files present: building one figure never needs another."""

from __future__ import annotations

import html
import json
from pathlib import Path

import xarray as xr
import yaml


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
        cards.append(f"""
<section id="{name}">
  <h2>{title}</h2>
  <a href="{name}/{name}.html"><img src="{name}/{name}.png" alt="{title}"></a>
  <p class="caption">{html.escape(entry['caption'])}</p>
  <p><a href="{name}/{name}.html">rendered notebook</a> · <a href="{name}/{name}.pdf">PDF</a> ·
     <a href="{name}/{name}.png">PNG</a> · <a href="{name}/{name}.nc">data (NetCDF)</a> ·
     notebook <code>{html.escape(entry['notebook'])}</code> · config <code>config/{name}.yaml</code></p>
  <table>{rows}</table>
  <details><summary>parameters (config/{name}.yaml at scale {html.escape(scale)})</summary>
  <pre>{html.escape(config_text)}</pre></details>
</section>""")
    out = results / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error-neuron microcircuits: figures ({html.escape(scale)} scale)</title>
<style>
body {{ font-family: sans-serif; max-width: 70em; margin: 2em auto; color: #222; }}
section {{ border-top: 1px solid #ccc; padding: 1em 0; }}
img {{ max-width: 40em; border: 1px solid #ddd; }}
th {{ text-align: left; padding-right: 1em; vertical-align: top; font-weight: normal; color: #555; }}
pre {{ background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 85%; }}
.scale {{ background: #fff3cd; padding: 0.5em; }}
</style></head><body>
<h1>"'Backpropagation and the brain' realized in cortical error neuron microcircuits": figures</h1>
<p>Max, Jaras, Granier, Wilmes &amp; Petrovici (bioRxiv 2025.07.11.664263), reproduced with the
<code>microcircuits</code> simulator.  Each figure links its executed notebook, the data it reads, the
parameters and the code version that made it.</p>
{'' if scale == 'paper' else f'<p class="scale">Scale <b>{html.escape(scale)}</b>: few seeds and epochs, for a first look; not the paper&#39;s numbers.</p>'}
{''.join(cards) or '<p>No figure has been made yet at this scale.</p>'}
</body></html>
""", encoding="utf-8")
    tmp.replace(out)
    return out
