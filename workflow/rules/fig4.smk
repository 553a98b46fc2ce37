"""Fig. 4: populations.  errormc 10-n_R-784 on genMNIST for every (n_R, n_E) x seed group, aggregated on
(n_rep, n_err, seed)."""

FIG4 = config["fig4"]

check_section("fig4", yaml.safe_load("""
type: object
properties:
  n_rep: {$ref: "#/$defs/unit_counts"}
  n_err: {$ref: "#/$defs/unit_counts"}
  seeds: {$ref: "#/$defs/seeds"}
  seeds_per_job: {type: integer, minimum: 1}
  threads_per_job:
    description: threads of one job; its step has two tasks, so more than 2 would idle
    type: integer
    minimum: 1
    maximum: 2
  notebook:
    type: object
    properties:
      examples:
        description: "[n_R, n_E] of the networks whose reconstructions are shown"
        type: array
        items: {type: array, items: {type: integer, minimum: 1}, minItems: 2, maxItems: 2}
    additionalProperties: false
  mnist_path: {type: [string, "null"]}
  common: {type: object}
required: [n_rep, n_err, seeds, seeds_per_job, threads_per_job, notebook, common]
additionalProperties: false
"""))


GENMNIST_KEEP = {"test_mse": "test_mse", "test_loss": "test_loss", "val_loss": "val_mse", "reconstruction": "reconstruction",
              **{f"{s}_std": f"{s}_std" for s in ("rep_slope", "rep_offset", "err_slope", "err_offset")}}  # what Figs. 4 and 5 show of a run
WARMUPS["genmnist"] = genmnist_params(FIG4["common"], 50, 100, [0])
FIG4_JOBS = grid(n_rep=FIG4["n_rep"], n_err=FIG4["n_err"], group=range(len(seed_groups(FIG4))))
FIG4_RUN = f"{RESULTS}/fig4/runs/R{{n_rep}}_E{{n_err}}/group{{group}}.nc"
FIG4_WILDCARDS = dict(n_rep="|".join(map(str, FIG4["n_rep"])), n_err="|".join(map(str, FIG4["n_err"])),
                      group=groups_pattern(FIG4))
check_jobs("fig4", {"R{n_rep}_E{n_err}/group{group}".format(**j):
                    genmnist_params(FIG4["common"], j["n_rep"], j["n_err"], seed_groups(FIG4)[j["group"]]) for j in FIG4_JOBS})


rule fig4_job_params:
    """The parameters of one Fig. 4 job (n_R representation and n_E error units, a group of seeds)."""
    output:
        f"{RESULTS}/fig4/params/R{{n_rep}}_E{{n_err}}/group{{group}}.json",
    params:
        **job_parameters(lambda w: genmnist_params(FIG4["common"], int(w.n_rep), int(w.n_err), seed_groups(FIG4)[int(w.group)])),
    log:
        f"{LOGS}/fig4/params/R{{n_rep}}_E{{n_err}}/group{{group}}.log",
    wildcard_constraints:
        **FIG4_WILDCARDS,
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig4_simulate:
    """One Fig. 4 job: genMNIST training of a 10-n_R-784 errormc with n_E hidden error units."""
    input:
        params=rules.fig4_job_params.output[0],
        kernels=warmup_flag("genmnist"),
    output:
        FIG4_RUN,
    params:
        options=simulate_options(),
    log:
        f"{LOGS}/fig4/runs/R{{n_rep}}_E{{n_err}}/group{{group}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig4/runs/R{{n_rep}}_E{{n_err}}/group{{group}}.tsv"
    wildcard_constraints:
        **FIG4_WILDCARDS,
    threads: FIG4["threads_per_job"]
    resources:
        runtime=genmnist_runtime(FIG4, FIG4["common"]["epochs"]),
        # measured peak: 312 MB for a 10-1000-784 seed at the paper's scale
        mem_mb=lambda w, attempt: 1000 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule fig4_aggregate:
    """Every run on (n_rep, n_err, seed), with the reconstructed digits."""
    input:
        runs=[FIG4_RUN.format(**j) for j in FIG4_JOBS],
    output:
        f"{RESULTS}/fig4/fig4.nc",
    params:
        cells=FIG4_JOBS,
        dims=["n_rep", "n_err"],
        keep=GENMNIST_KEEP,
        shared=["target_image"],
        dim_attrs={"n_rep": {"long_name": "representation units n_R in the hidden area", "units": "1"},
                   "n_err": {"long_name": "error units n_E in the hidden area", "units": "1"}},
        title="Fig. 4: populations (aggregated runs)",
        scale=config["scale"],
    log:
        f"{LOGS}/fig4/aggregate.log",
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate.py"
