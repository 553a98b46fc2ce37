"""Execute a figure notebook with papermill (its `parameters` cell gets the paths from the rule), then render
the executed notebook to self-contained HTML with the report template (workflow/report/nbconvert: the code of
every cell folded away, the figure and its numbers in view)."""

import os
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

# figures drawn in a cell are shown in its output, so the rendered page shows them (PDF and PNG are saved
# explicitly by the notebook either way); with Agg the page would have no figure
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # reproducible PDF metadata
with open(snakemake.log[0], "w") as log:
    try:
        pm.execute_notebook(
            snakemake.input.notebook, snakemake.output.notebook, parameters=dict(snakemake.params.parameters),
            kernel_name="python3", cwd=os.getcwd(), log_output=True, stdout_file=log, stderr_file=log,
            progress_bar=False)
    except pm.PapermillExecutionError as err:  # the cell's traceback, where the log is read
        print(err, file=log)
        raise SystemExit(f"{snakemake.input.notebook} failed in cell {err.exec_count}: {err.ename}: {err.evalue}")
    templates = Path(snakemake.scriptdir).parent / "report" / "nbconvert"
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(templates)])
    body, _ = exporter.from_notebook_node(nbformat.read(snakemake.output.notebook, as_version=4),
                                          resources={"metadata": {"name": snakemake.params.title}})
    out = Path(snakemake.output.html)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(out)
    print(f"rendered {snakemake.output.notebook} -> {out}", file=log)
