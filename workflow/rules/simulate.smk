"""Simulation jobs: one parameter file and one NetCDF run per (network, model, variant, seed group)."""


rule fig3_job_params:
    """The parameters one Fig. 3 job receives, as a file: they flow from config/fig3.yaml through params:,
    so a changed value reruns exactly the jobs it belongs to."""
    output:
        "results/fig3/params/{net}/{model}/{variant}/group{group}.json",
    params:
        p=fig3_params,
    log:
        "logs/fig3/params/{net}/{model}/{variant}/group{group}.log",
    benchmark:
        "results/benchmarks/fig3/params/{net}/{model}/{variant}/group{group}.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule numba_warmup:
    """Compile (or load) one model's kernels once, before the simulations fan out; the marker is named after
    the hash of the kernel sources, so an edit compiles again."""
    input:
        SIMULATOR_SOURCES,
    output:
        touch("results/.numba/{kernel_hash}/{model}.done"),
    log:
        "logs/numba_warmup/{kernel_hash}_{model}.log",
    benchmark:
        "results/benchmarks/numba_warmup/{kernel_hash}_{model}.tsv"
    resources:
        runtime=20,
        mem_mb=1500,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/numba_warmup.py"


rule fig3_simulate:
    """One Fig. 3 job: the teacher-student task for a seed group, with the replay against backprop."""
    input:
        params="results/fig3/params/{net}/{model}/{variant}/group{group}.json",
        kernels=lambda w: [warmup_flag(w.model), warmup_flag("ann")],
        code=SIMULATOR_SOURCES,
    output:
        "results/fig3/runs/{net}/{model}/{variant}/group{group}.nc",
    params:
        options=lambda w: ["--compare", "bp"] if config["fig3"]["compare_bp"] else [],
    log:
        "logs/fig3/runs/{net}/{model}/{variant}/group{group}.log",
    benchmark:
        "results/benchmarks/fig3/runs/{net}/{model}/{variant}/group{group}.tsv"
    threads: 1
    resources:
        runtime=fig3_runtime,
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"
