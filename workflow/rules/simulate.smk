"""Simulation jobs: the parameters each job receives (a file, from config), and the runs that write NetCDF."""


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
    params:
        base=warmup_params,
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
        options=["--attr", f"scale={scale()}"] + (["--compare", "bp"] if config["fig3"]["compare_bp"] else []),
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


rule fig2a_job_params:
    """The parameters of one Fig. 2a variant (ideal or tanh), all seeds, from config/fig2a.yaml."""
    output:
        "results/fig2a/params/{variant}.json",
    params:
        p=fig2a_params,
    log:
        "logs/fig2a/params/{variant}.log",
    benchmark:
        "results/benchmarks/fig2a/params/{variant}.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig2a_simulate:
    """One Fig. 2a variant: the teacher, then every seed's imitation training and closed-loop tests."""
    input:
        params="results/fig2a/params/{variant}.json",
        kernels=warmup_flag("cartpole"),
        code=SIMULATOR_SOURCES,
    output:
        "results/fig2a/runs/{variant}.nc",
    params:
        options=["--attr", f"scale={scale()}"],
    log:
        "logs/fig2a/runs/{variant}.log",
    benchmark:
        "results/benchmarks/fig2a/runs/{variant}.tsv"
    threads: 1
    resources:
        # measured: 0.8 us per network step, 1.09 M steps per seed at the paper's scale
        runtime=task_runtime("fig2a", us_per_step=0.8, steps_per_seed=1.09e6),
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule fig2b_job_params:
    """The parameters of the Fig. 2b run, from config/fig2b.yaml."""
    output:
        "results/fig2b/params.json",
    params:
        p=fig2b_params,
    log:
        "logs/fig2b/params.log",
    benchmark:
        "results/benchmarks/fig2b/params.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig2b_simulate:
    """Fig. 2b: every seed's DMS training, validation before each epoch, test, and example trials."""
    input:
        params="results/fig2b/params.json",
        kernels=warmup_flag("dms"),
        code=SIMULATOR_SOURCES,
    output:
        "results/fig2b/fig2b.nc",
    params:
        options=["--attr", f"scale={scale()}"],
    log:
        "logs/fig2b/simulate.log",
    benchmark:
        "results/benchmarks/fig2b/simulate.tsv"
    threads: 1
    resources:
        # measured: 2.0 us per network step (trial by trial), 0.95 M steps per seed at the paper's scale
        runtime=task_runtime("fig2b", us_per_step=2.0, steps_per_seed=0.95e6),
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


wildcard_constraints:
    n_rep=r"\d+",
    n_err=r"\d+",
    group=r"\d+",
    sigma=r"[0-9.]+",


rule fig4_job_params:
    """The parameters of one Fig. 4 job (n_R representation and n_E error units, a group of seeds)."""
    output:
        "results/fig4/params/R{n_rep}_E{n_err}/group{group}.json",
    params:
        p=fig4_params,
    log:
        "logs/fig4/params/R{n_rep}_E{n_err}/group{group}.log",
    benchmark:
        "results/benchmarks/fig4/params/R{n_rep}_E{n_err}/group{group}.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig4_simulate:
    """One Fig. 4 job: genMNIST training of a 10-n_R-784 errormc with n_E hidden error units."""
    input:
        params="results/fig4/params/R{n_rep}_E{n_err}/group{group}.json",
        kernels=warmup_flag("genmnist"),
        code=SIMULATOR_SOURCES,
    output:
        "results/fig4/runs/R{n_rep}_E{n_err}/group{group}.nc",
    params:
        options=["--attr", f"scale={scale()}"],
    log:
        "logs/fig4/runs/R{n_rep}_E{n_err}/group{group}.log",
    benchmark:
        "results/benchmarks/fig4/runs/R{n_rep}_E{n_err}/group{group}.tsv"
    threads: config["fig4"]["threads_per_job"]
    resources:
        runtime=genmnist_runtime,
        # measured peak: 410 MB for a 10-1000-784 seed
        mem_mb=lambda w, attempt: 1000 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule fig5_job_params:
    """The parameters of one Fig. 5 job: heterogeneity sigma on representation or error units."""
    output:
        "results/fig5/params/{site}/sigma{sigma}/group{group}.json",
    params:
        p=fig5_params,
    log:
        "logs/fig5/params/{site}/sigma{sigma}/group{group}.log",
    benchmark:
        "results/benchmarks/fig5/params/{site}/sigma{sigma}/group{group}.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig5_simulate:
    """One Fig. 5 job: genMNIST training of the 10-1000-784 errormc with heterogeneous units."""
    input:
        params="results/fig5/params/{site}/sigma{sigma}/group{group}.json",
        kernels=warmup_flag("genmnist"),
        code=SIMULATOR_SOURCES,
    output:
        "results/fig5/runs/{site}/sigma{sigma}/group{group}.nc",
    params:
        options=["--attr", f"scale={scale()}"],
    log:
        "logs/fig5/runs/{site}/sigma{sigma}/group{group}.log",
    benchmark:
        "results/benchmarks/fig5/runs/{site}/sigma{sigma}/group{group}.tsv"
    threads: config["fig4"]["threads_per_job"]
    resources:
        runtime=genmnist_runtime,
        # measured peak: 410 MB for a 10-1000-784 seed
        mem_mb=lambda w, attempt: 1000 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"
