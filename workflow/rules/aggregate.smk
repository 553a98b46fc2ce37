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


rule fig2a_aggregate:
    input:
        runs=fig2a_runs(),
    output:
        "results/fig2a/fig2a.nc",
    params:
        variants=list(config["fig2a"]["variants"]),
        labels={v: c["label"] for v, c in config["fig2a"]["variants"].items()},
        scale=scale(),
    log:
        "logs/fig2a/aggregate.log",
    benchmark:
        "results/benchmarks/fig2a/aggregate.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate_fig2a.py"


rule fig4_aggregate:
    input:
        runs=[fig4_run(j["n_rep"], j["n_err"], j["group"]) for j in fig4_jobs()],
    output:
        "results/fig4/fig4.nc",
    params:
        jobs=fig4_jobs(),
        scale=scale(),
    log:
        "logs/fig4/aggregate.log",
    benchmark:
        "results/benchmarks/fig4/aggregate.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate_genmnist.py"


rule fig5_aggregate:
    input:
        runs=fig5_runs(),
        baseline=fig5_baseline_runs(),
    output:
        "results/fig5/fig5.nc",
    params:
        jobs=fig5_jobs(),
        scale=scale(),
    log:
        "logs/fig5/aggregate.log",
    benchmark:
        "results/benchmarks/fig5/aggregate.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate_genmnist.py"
