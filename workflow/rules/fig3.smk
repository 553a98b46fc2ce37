"""Fig. 3: multilayer comparison.  Networks of 1-5 areas x models x trained/untrained x seed groups, each job
the teacher-student task with the replay against backprop; aggregated on (net, model, variant, seed)."""

FIG3 = config["fig3"]
FIG3_VARIANTS = ("trained", "untrained")

check_section("fig3", yaml.safe_load(f"""
type: object
properties:
  nets:
    description: network name -> units per area (input first)
    type: object
    minProperties: 1
    propertyNames: {{pattern: "^{NAME}$"}}
    additionalProperties: {{type: array, items: {{type: integer, minimum: 1}}, minItems: 2}}
  models:
    type: array
    minItems: 1
    uniqueItems: true
    items: {{type: string, enum: {list(MODELS)}}}
  seeds: {{$ref: "#/$defs/seeds"}}
  seeds_per_job: {{type: integer, minimum: 1}}
  epochs: {{type: integer, minimum: 1}}
  compare_bp: {{type: boolean}}
  record_snapshots: {{type: boolean}}
  common: {{type: object}}
  model_settings: {{type: object, additionalProperties: {{type: object}}}}
  learning_rates:
    description: model -> net -> {{eta_fw, eta_IP, eta_PI, eta_bw}}
    type: object
    additionalProperties:
      type: object
      additionalProperties:
        type: object
        properties:
          eta_fw: {{$ref: "#/$defs/eta_list"}}
          eta_IP: {{$ref: "#/$defs/eta_list"}}
          eta_PI: {{$ref: "#/$defs/eta_list"}}
          eta_bw: {{$ref: "#/$defs/eta_list"}}
        required: [eta_fw]
        additionalProperties: false
  notebook: {{$ref: "#/$defs/notebook"}}
required: [nets, models, seeds, seeds_per_job, epochs, compare_bp, record_snapshots, common, model_settings, learning_rates]
additionalProperties: false
"""))
FIG3_WILDCARDS = dict(net="|".join(map(re.escape, FIG3["nets"])), model="|".join(FIG3["models"]),
                      variant="|".join(FIG3_VARIANTS), group=groups_pattern(FIG3))


FIG3_JOBS = grid(net=list(FIG3["nets"]), model=FIG3["models"], variant=FIG3_VARIANTS,
                 group=range(len(seed_groups(FIG3))))
FIG3_RUN = "fig3/runs/{net}/{model}/{variant}/group{group}"
check_jobs("fig3", {"{net}/{model}/{variant}/group{group}".format(**j): teacher_student_job("fig3", SimpleNamespace(**j))
                    for j in FIG3_JOBS})
# what the aggregation keeps of each run, and the task complexity of each network (Fig. 3 and its kin)
FIG3_KEEP = {"test_mse": "test_mse", "test_loss": "test_loss", "angle_dw_bp_mean": "angle_dw_bp",
             "angle_dw_bp_snapshot": "angle_dw_bp_snapshot", "val_loss": "val_mse", "diverged": "diverged"}
FIG3_COMPLEXITY = ["task complexity: number of areas after the input", {n: len(s) - 1 for n, s in FIG3["nets"].items()}]


rule fig3_job_params:
    """The parameters one Fig. 3 job receives, as a file: they flow from config/fig3.yaml through params:,
    so a changed value reruns exactly the jobs it belongs to."""
    output:
        f"{RESULTS}/fig3/params/{{net}}/{{model}}/{{variant}}/group{{group}}.json",
    params:
        **job_parameters(lambda w: teacher_student_job("fig3", w)),
    log:
        f"{LOGS}/fig3/params/{{net}}/{{model}}/{{variant}}/group{{group}}.log",
    wildcard_constraints:
        **FIG3_WILDCARDS,
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig3_simulate:
    """One Fig. 3 job: the teacher-student task for a seed group, with the replay against backprop."""
    input:
        params=rules.fig3_job_params.output[0],
        # the student's kernels and its teacher's
        kernels=lambda w: teacher_student_kernels(w.model),
    output:
        f"{RESULTS}/{FIG3_RUN}.nc",
    params:
        options=simulate_options() + (["--compare", "bp"] if FIG3["compare_bp"] else []),
    log:
        f"{LOGS}/{FIG3_RUN}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{FIG3_RUN}.tsv"
    wildcard_constraints:
        **FIG3_WILDCARDS,
    threads: 1
    resources:
        runtime=replay_runtime(FIG3),
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule fig3_aggregate:
    """Every run on (net, model, variant, seed): test losses, angles to backprop, validation errors."""
    input:
        runs=[f"{RESULTS}/{FIG3_RUN}.nc".format(**j) for j in FIG3_JOBS],
    output:
        f"{RESULTS}/fig3/fig3.nc",
    params:
        cells=FIG3_JOBS,
        dims=["net", "model", "variant"],
        keep=FIG3_KEEP,
        coords={"net": {"complexity": FIG3_COMPLEXITY},
                "model": {"model_label": ["the model as the paper's legends call it", {m: MODELS[m].label for m in MODELS}]}},
        dim_attrs={"net": {"long_name": "network (units per area)"}, "model": {"long_name": "model family"},
                   "variant": {"long_name": "trained, or untrained (1 epoch, learning rates 0)"}},
        title="Fig. 3: multilayer comparison (aggregated runs)",
        scale=config["scale"],
    log:
        f"{LOGS}/fig3/aggregate.log",
    localrule: True
    resources:
        mem_mb=4000,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate.py"
