"""Reproduction of Max, Jaras, Granier, Wilmes & Petrovici, "'Backpropagation and the brain' realized in
cortical error neuron microcircuits" (bioRxiv 2025.07.11.664263).

Targets: `all` (every figure), one per figure of workflow/figures.yaml (`fig2a`, `fig2b`, `fig3`, `fig4`,
`fig5`, `fig8`, `figA1`, `figA2`, `figC1`, `fig_ablation`) and its groups (`fig2`).  Every successful run rewrites
results/index.html (results/smoke/ at smoke scale), which links every figure made so far, and
results/comparison.html (Figs. 3 and 4 beside the published figures).

    snakemake --cores 8 fig3                          # the paper's scale
    snakemake --cores 2 fig3 --config scale=smoke     # a few minutes; outputs under results/smoke/
    snakemake --profile slurm all                     # on a slurm cluster (profiles/slurm)
"""

from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"


configfile: readable_yaml("config/config.yaml")


clear_what_dead_runs_left()


for _figure in FIGURES:

    configfile: readable_yaml(f"config/{_figure}.yaml")


check_scale(config)
if config["scale"] != "paper":  # a scale is an overlay of the figures' settings (config/scales/)

    configfile: readable_yaml(f"config/scales/{config['scale']}.yaml")


type_command_line(config)
check_config(config)
RESULTS, LOGS = output_folders(config)


report: "workflow/report/workflow.rst"


for _figure in FIGURES:

    include: f"workflow/rules/{_figure}.smk"


include: "workflow/rules/fig3_kin.smk"
include: "workflow/rules/pal_runs.smk"
include: "workflow/rules/figures.smk"


check_targets()
