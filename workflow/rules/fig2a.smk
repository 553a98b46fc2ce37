"""Fig. 2a: cart-pole control.  One job per student variant (all seeds: the teacher's seed and the plants'
reset states derive from the job's first seed), combined on a `variant` dimension."""

FIG2A = config["fig2a"]

check_section("fig2a", yaml.safe_load(f"""
type: object
properties:
  seeds: {{$ref: "#/$defs/seeds"}}
  variants:
    description: variant name -> legend label and the parameters in which it differs
    type: object
    minProperties: 1
    propertyNames: {{pattern: "^{NAME}$"}}
    additionalProperties:
      type: object
      properties:
        label: {{type: string}}
        params: {{type: object}}
      required: [label, params]
      additionalProperties: false
  notebook:
    type: object
    properties:
      example:
        description: the variant whose typical trained student's closed loop is shown, and the plant steps shown
        type: object
        properties:
          variant: {{type: string}}
          window: {{type: array, items: {{type: integer, minimum: 0}}, minItems: 2, maxItems: 2}}
        required: [variant, window]
        additionalProperties: false
    additionalProperties: false
  common: {{type: object}}
required: [seeds, variants, notebook, common]
additionalProperties: false
"""))


FIG2A_PARAMS = {v: merged(FIG2A["common"], c["params"], {"random_seed": list(FIG2A["seeds"])})
                for v, c in FIG2A["variants"].items()}  # the reference file's keys and values, per variant
WARMUPS["cartpole"] = next(iter(FIG2A_PARAMS.values()))
check_jobs("fig2a", FIG2A_PARAMS)


rule fig2a_job_params:
    """The parameters of one Fig. 2a variant (ideal or tanh), all seeds, from config/fig2a.yaml."""
    output:
        f"{RESULTS}/fig2a/params/{{variant}}.json",
    params:
        **job_parameters(lambda w: FIG2A_PARAMS[w.variant]),
    log:
        f"{LOGS}/fig2a/params/{{variant}}.log",
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig2a_simulate:
    """One Fig. 2a variant: the teacher, then every seed's imitation training and closed-loop tests."""
    input:
        params=rules.fig2a_job_params.output[0],
        kernels=warmup_flag("cartpole"),
    output:
        f"{RESULTS}/fig2a/runs/{{variant}}.nc",
    params:
        options=simulate_options(),
    log:
        f"{LOGS}/fig2a/runs/{{variant}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig2a/runs/{{variant}}.tsv"
    threads: 1
    resources:
        # measured: 0.8 us per network step, 1.09 M steps per seed at the paper's scale
        runtime=task_runtime(FIG2A, us_per_step=0.8, steps_per_seed=1.09e6),
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule fig2a_aggregate:
    """The variants on a `variant` dimension, with their legend labels."""
    input:
        runs=[f"{RESULTS}/fig2a/runs/{v}.nc" for v in FIG2A["variants"]],
    output:
        f"{RESULTS}/fig2a/fig2a.nc",
    params:
        cells=[{"variant": v} for v in FIG2A["variants"]],
        dims=["variant"],
        keep={},
        keep_coords=["time", "var_units", "val_epoch"],
        coords={"variant": {"label": ["legend label", {v: c["label"] for v, c in FIG2A["variants"].items()}]}},
        dim_attrs={"variant": {"long_name": "student variant"}},
        title="Fig. 2a: cart-pole control (aggregated runs)",
        scale=config["scale"],
    log:
        f"{LOGS}/fig2a/aggregate.log",
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate.py"
