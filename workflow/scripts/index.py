"""results/index.html: one card per rendered figure with its thumbnail, links, parameters and provenance."""

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr
import yaml

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

out = Path(snakemake.output[0])
root = out.parent


def rel(path):
    return html.escape(str(Path(path).resolve().relative_to(root.resolve())))


cards = []
for name, page in snakemake.params.figures.items():
    with xr.open_dataset(page["data"]) as ds:
        attrs = dict(ds.attrs)
    versions = json.loads(attrs.get("software_versions", "{}"))
    provenance = [("git revision", attrs.get("git_revision_of_runs", attrs.get("git_revision", "?"))),
                  ("microcircuits", attrs.get("microcircuits_version", "?")),
                  ("kernel sources", attrs.get("kernel_source_hash", "?")),
                  ("created", attrs.get("created", "?")), ("scale", attrs.get("scale", "?")),
                  ("packages", ", ".join(f"{k} {v}" for k, v in versions.items()))]
    config_text = yaml.safe_dump({name: snakemake.params.configs[name]}, sort_keys=False, width=110)
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in provenance)
    cards.append(f"""
<section>
  <h2>{html.escape(page['title'])}</h2>
  <a href="{rel(page['html'])}"><img src="{rel(page['png'])}" alt="{html.escape(page['title'])}"></a>
  <p><a href="{rel(page['html'])}">rendered notebook</a> · <a href="{rel(page['pdf'])}">PDF</a> ·
     <a href="{rel(page['png'])}">PNG</a> · <a href="{rel(page['data'])}">data (NetCDF)</a> ·
     notebook <code>{html.escape(page['notebook'])}</code> · config <code>{html.escape(page['config'])}</code></p>
  <table>{rows}</table>
  <details><summary>parameters ({html.escape(page['config'])}, scale of the run {html.escape(str(attrs.get('scale', '?')))})</summary>
  <pre>{html.escape(config_text)}</pre></details>
</section>""")

out.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error-neuron microcircuits: figures</title>
<style>
body {{ font-family: sans-serif; max-width: 70em; margin: 2em auto; color: #222; }}
section {{ border-top: 1px solid #ccc; padding: 1em 0; }}
img {{ max-width: 40em; border: 1px solid #ddd; }}
th {{ text-align: left; padding-right: 1em; vertical-align: top; font-weight: normal; color: #555; }}
pre {{ background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 85%; }}
</style></head><body>
<h1>"'Backpropagation and the brain' realized in cortical error neuron microcircuits": figures</h1>
<p>Max, Jaras, Granier, Wilmes &amp; Petrovici (bioRxiv 2025.07.11.664263), reproduced with the
<code>microcircuits</code> simulator.  Each figure links its executed notebook, the data it reads, the
parameters and the code version that made it.</p>
{''.join(cards)}
</body></html>
""")
with open(snakemake.log[0], "w") as log:
    print(f"wrote {out} with {len(cards)} figure(s)", file=log)
