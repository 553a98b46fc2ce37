"""The rules of the figures of PAL's runner (Phaseless Alignment Learning; each registers itself with
check_pal_figure in its own module): a job per cell and seed group writes its PAL runner file and runs it
(`microcircuits simulate PARAMS --task bw_only|fw_bw [--compare BP]`); the runs are aggregated on the figure's
`dims` and `seed`."""

PAL_RUN = "{fig}/runs/{cell}/group{group}"
PAL_WILDCARDS = dict(fig="|".join(PAL_FIGURES) or "(?!)",
                     cell="|".join(sorted({re.escape(c) for s in PAL_FIGURES.values() for c in s["cells"]})) or "(?!)",
                     group=r"\d+")
WARMUPS["pal"] = {}  # numba_warmup.py runs PAL's tiny tasks itself
TARGET_CHECKS.append(pal_target_problem)
rule pal_job_params:
    """The PAL runner file of one job: the figure's `common`, the cell's settings, the group's seeds."""
    output:
        f"{RESULTS}/{{fig}}/params/{{cell}}/group{{group}}.json",
    params:
        **job_parameters(lambda w: pal_job(w.fig, w.cell, w.group)),
    log:
        f"{LOGS}/{{fig}}/params/{{cell}}/group{{group}}.log",
    wildcard_constraints:
        **PAL_WILDCARDS,
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule pal_simulate:
    """One PAL job: the figure's task on one cell's file for one seed group."""
    input:
        params=rules.pal_job_params.output[0],
        kernels=warmup_flag("pal"),
    output:
        f"{RESULTS}/{PAL_RUN}.nc",
    params:
        options=lambda w: simulate_options() + ["--task", PAL_FIGURES[w.fig]["task"]]
        + (["--compare", "BP"] if PAL_FIGURES[w.fig]["compare_bp"] else []),
    log:
        f"{LOGS}/{PAL_RUN}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{PAL_RUN}.tsv"
    wildcard_constraints:
        **PAL_WILDCARDS,
    threads: 1
    resources:
        runtime=pal_runtime,
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule pal_aggregate:
    """Every run of a PAL figure on its dims and seed (cells of other lengths padded with NaN in time)."""
    input:
        runs=lambda w: [f"{RESULTS}/{PAL_RUN}.nc".format(fig=w.fig, **j) for j in pal_jobs(w.fig)],
    output:
        f"{RESULTS}/{{fig}}/{{fig}}.nc",
    params:
        cells=lambda w: [PAL_FIGURES[w.fig]["cells"][j["cell"]]["at"] for j in pal_jobs(w.fig)],
        dims=lambda w: PAL_FIGURES[w.fig]["dims"],
        keep=lambda w: PAL_KEEP[w.fig],
        keep_coords=[f"{kind}_synapse_{part}" for kind in ("forward", "feedback") for part in ("block", "post", "pre")],
        dim_attrs=lambda w: PAL_DIM_ATTRS[w.fig],
        title=lambda w: f"{REGISTRY['figures'][w.fig]['title']} (aggregated runs)",
        scale=config["scale"],
    log:
        f"{LOGS}/{{fig}}/aggregate.log",
    wildcard_constraints:
        fig=PAL_WILDCARDS["fig"],
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate.py"
