"""Render an executed notebook to self-contained HTML (figures embedded)."""

from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbconvert import HTMLExporter

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

nb = nbformat.read(snakemake.input[0], as_version=4)
body, _ = HTMLExporter().from_notebook_node(nb)
out = Path(snakemake.output[0])
tmp = out.with_name(out.name + ".tmp")
tmp.write_text(body, encoding="utf-8")
tmp.replace(out)
with open(snakemake.log[0], "w") as log:
    print(f"rendered {snakemake.input[0]} -> {out}", file=log)
