"""Fig. 2b: delayed match-to-sample.  One job runs every seed and writes the figure's data directly."""

FIG2B = config["fig2b"]

check_section("fig2b", yaml.safe_load("""
type: object
properties:
  seeds: {$ref: "#/$defs/seeds"}
  params: {type: object}
  notebook: {$ref: "#/$defs/notebook"}
required: [seeds, params]
additionalProperties: false
"""))


FIG2B_PARAMS = merged(FIG2B["params"], {"random_seed": list(FIG2B["seeds"])})
WARMUPS["dms"] = FIG2B_PARAMS
check_jobs("fig2b", {"dms": FIG2B_PARAMS})


rule fig2b_job_params:
    """The parameters of the Fig. 2b run, from config/fig2b.yaml."""
    output:
        f"{RESULTS}/fig2b/params.json",
    params:
        **job_parameters(lambda w: FIG2B_PARAMS),
    log:
        f"{LOGS}/fig2b/params.log",
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig2b_simulate:
    """Fig. 2b: every seed's DMS training, validation before each epoch, test, and example trials."""
    input:
        params=rules.fig2b_job_params.output[0],
        kernels=warmup_flag("dms"),
    output:
        f"{RESULTS}/fig2b/fig2b.nc",
    params:
        options=simulate_options(),
    log:
        f"{LOGS}/fig2b/simulate.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig2b/simulate.tsv"
    threads: 1
    resources:
        # measured: 2.0 us per network step (trial by trial), 0.95 M steps per seed at the paper's scale
        runtime=task_runtime(FIG2B, us_per_step=2.0, steps_per_seed=0.95e6),
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"
