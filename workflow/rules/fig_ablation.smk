"""The ablation figure: errormc 10-500-500-784 on genMNIST, hierarchical against visual-cortex connectivity,
one forward block removed halfway through training; one job per connectivity and seed group, aggregated on
(connectivity, seed)."""

FIG_ABL = config["fig_ablation"]

check_section("fig_ablation", yaml.safe_load("""
type: object
properties:
  seeds: {$ref: "#/$defs/seeds"}
  seeds_per_job: {type: integer, minimum: 1}
  connectivities:
    description: name -> the simulator keys that make that connectivity
    type: object
    minProperties: 1
    propertyNames: {$ref: "#/$defs/name"}
    additionalProperties: {type: object}
  common: {type: object}
  notebook: {$ref: "#/$defs/notebook"}
required: [seeds, seeds_per_job, connectivities, common]
additionalProperties: false
"""))


for _name in FIG_ABL["connectivities"]:  # compile each connectivity's kernels once (no ablation in a 1-epoch run)
    WARMUPS[f"ablation_{_name}"] = {k: v for k, v in ablation_params(_name, [0]).items() if not k.startswith("ablate")}
FIG_ABL_JOBS = grid(connectivity=list(FIG_ABL["connectivities"]), group=range(len(seed_groups(FIG_ABL))))
FIG_ABL_RUN = f"{RESULTS}/fig_ablation/runs/{{connectivity}}/group{{group}}.nc"
check_jobs("fig_ablation", {"{connectivity}/group{group}".format(**j): ablation_params(j["connectivity"], seed_groups(FIG_ABL)[j["group"]])
                            for j in FIG_ABL_JOBS})


rule fig_ablation_job_params:
    """The parameters of one ablation job (a connectivity, a group of seeds)."""
    output:
        f"{RESULTS}/fig_ablation/params/{{connectivity}}/group{{group}}.json",
    params:
        **job_parameters(lambda w: ablation_params(w.connectivity, seed_groups(FIG_ABL)[int(w.group)])),
    log:
        f"{LOGS}/fig_ablation/params/{{connectivity}}/group{{group}}.log",
    wildcard_constraints:
        connectivity="|".join(FIG_ABL["connectivities"]),
        group=groups_pattern(FIG_ABL),
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig_ablation_simulate:
    """One ablation job: genMNIST training with the block removed after `ablate_after_epoch` epochs."""
    input:
        params=rules.fig_ablation_job_params.output[0],
        kernels=lambda w: warmup_flag(f"ablation_{w.connectivity}"),
    output:
        FIG_ABL_RUN,
    params:
        options=simulate_options(),
    log:
        f"{LOGS}/fig_ablation/runs/{{connectivity}}/group{{group}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig_ablation/runs/{{connectivity}}/group{{group}}.tsv"
    wildcard_constraints:
        connectivity="|".join(FIG_ABL["connectivities"]),
        group=groups_pattern(FIG_ABL),
    resources:
        # measured on a 2-core VM at 10-500-500-784: 1.2 ms per step hierarchical, 3.0 ms visual cortex
        runtime=lambda w, attempt: (10 * attempt if config["scale"] != "paper" else int(attempt * (
            10 + 2 * FIG_ABL["seeds_per_job"] * (FIG_ABL["common"]["epochs"] + 12) * 200 * 3.0e-3 / 60))),
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule fig_ablation_aggregate:
    """Every run on (connectivity, seed): validation losses over training, test losses, reconstructions."""
    input:
        runs=[FIG_ABL_RUN.format(**j) for j in FIG_ABL_JOBS],
    output:
        f"{RESULTS}/fig_ablation/fig_ablation.nc",
    params:
        cells=FIG_ABL_JOBS,
        dims=["connectivity"],
        keep={"val_loss": "val_loss", "test_loss": "test_loss", "reconstruction": "reconstruction"},
        shared=["target_image"],
        keep_coords=["val_epoch"],
        dim_attrs={"connectivity": {"long_name": "inter-area connectivity of the network"}},
        title="The ablation figure: hierarchical vs visual-cortex connectivity (aggregated runs)",
        scale=config["scale"],
    log:
        f"{LOGS}/fig_ablation/aggregate.log",
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate.py"
