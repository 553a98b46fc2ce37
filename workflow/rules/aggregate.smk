"""Combine the runs of a figure into one dataset with named dimensions."""


rule fig3_aggregate:
    input:
        runs=fig3_runs(),
    output:
        "results/fig3/fig3.nc",
    params:
        jobs=fig3_jobs(),
        scale=scale(),
    log:
        "logs/fig3/aggregate.log",
    benchmark:
        "results/benchmarks/fig3/aggregate.tsv"
    localrule: True
    resources:
        mem_mb=4000,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate_fig3.py"
