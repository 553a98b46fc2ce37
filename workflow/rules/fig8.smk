"""Fig. 8: the φ′ transfer.  One job, no network simulation: it writes the figure's data directly."""

FIG8 = config["fig8"]

check_section("fig8", yaml.safe_load("""
type: object
properties:
  activations:
    type: array
    items: {enum: [linear, relu, soft_relu, logistic, tanh, hard_sigmoid]}
    minItems: 1
    uniqueItems: true
  sigmas: {type: array, items: {type: number, exclusiveMinimum: 0}, minItems: 1, uniqueItems: true}
  levels: {type: integer, minimum: 2, maximum: 10000}
  u_range: {type: array, items: {type: number}, minItems: 2, maxItems: 2}
  Tpres: {type: number, exclusiveMinimum: 0}
  dt: {type: number, exclusiveMinimum: 0}
  tau_steps: {type: number, exclusiveMinimum: 0}
  seed: {type: integer, minimum: 0, maximum: 4294967295}
  notebook: {$ref: "#/$defs/notebook"}
required: [activations, sigmas, levels, u_range, Tpres, dt, tau_steps, seed]
additionalProperties: false
"""))


rule fig8_transfer:
    """Every activation and noise level of the φ′ transfer (seconds)."""
    output:
        f"{RESULTS}/fig8/fig8.nc",
    params:
        activations=FIG8["activations"],
        sigmas=FIG8["sigmas"],
        levels=FIG8["levels"],
        u_range=FIG8["u_range"],
        Tpres=FIG8["Tpres"],
        dt=FIG8["dt"],
        tau_steps=FIG8["tau_steps"],
        seed=FIG8["seed"],
        scale=config["scale"],
    log:
        f"{LOGS}/fig8/transfer.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig8/transfer.tsv"
    localrule: True
    resources:
        runtime=5,
        mem_mb=lambda w: 500 + 60 * len(FIG8["activations"]) * len(FIG8["sigmas"]),
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/phi_transfer.py"
