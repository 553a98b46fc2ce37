"""Reproduction of Max, Jaras, Granier, Wilmes & Petrovici, "'Backpropagation and the brain' realized in
cortical error neuron microcircuits" (bioRxiv 2025.07.11.664263).

Targets: `all` (every figure and results/index.html), one per figure (`fig2a`, `fig2b`, `fig3`, `fig4`, `fig5`) and `fig2`
(both panels of Fig. 2).  Each figure is found by
one name in four places: config/figN.yaml, the target figN, notebooks/figN_*.ipynb and results/figN/.

    snakemake --cores 8 fig3                          # the paper's scale
    snakemake --cores 2 fig3 --config scale=smoke     # a few minutes
    snakemake --profile slurm all                     # on a slurm cluster (profiles/slurm)
"""

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"
configfile: "config/fig2a.yaml"
configfile: "config/fig2b.yaml"
configfile: "config/fig3.yaml"
configfile: "config/fig4.yaml"
configfile: "config/fig5.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


check_config(config)


include: "workflow/rules/simulate.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        [FIGURE_PAGES[f][k] for f in FIGURE_PAGES for k in ("pdf", "png", "html")],
        "results/index.html",
    localrule: True


rule fig2a:
    input:
        [FIGURE_PAGES["fig2a"][k] for k in ("pdf", "png", "html")],
        "results/index.html",
    localrule: True


rule fig2b:
    input:
        [FIGURE_PAGES["fig2b"][k] for k in ("pdf", "png", "html")],
        "results/index.html",
    localrule: True


rule fig2:
    input:
        [FIGURE_PAGES[f][k] for f in FIGURE_GROUPS["fig2"] for k in ("pdf", "png", "html")],
        "results/index.html",
    localrule: True


rule fig3:
    input:
        [FIGURE_PAGES["fig3"][k] for k in ("pdf", "png", "html")],
        "results/index.html",
    localrule: True


rule fig4:
    input:
        [FIGURE_PAGES["fig4"][k] for k in ("pdf", "png", "html")],
        "results/index.html",
    localrule: True


rule fig5:
    input:
        [FIGURE_PAGES["fig5"][k] for k in ("pdf", "png", "html")],
        "results/index.html",
    localrule: True
