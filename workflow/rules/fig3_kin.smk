"""The rules of the figures that are Fig. 3 with other models (Figs. A1, A2, C1; each registers itself with
check_fig3_kin in its own module).  A model of such a figure either reuses Fig. 3's runs (no job is run
twice) or runs a base model with the figure's settings on top, on Fig. 3's networks and seed groups; the
runs are aggregated on (net, model, variant, seed) exactly as Fig. 3's."""

KIN_RUN = "{fig}/runs/{net}/{model}/{variant}/group{group}"
KIN_WILDCARDS = dict(fig="|".join(FIG3_KIN) or "(?!)", net="|".join(map(re.escape, config["fig3"]["nets"])),
                     model="|".join(sorted({m for section in FIG3_KIN.values() for m in section["models"]})) or "(?!)",
                     variant="trained|untrained", group=groups_pattern(config["fig3"]))
for _fig in FIG3_KIN:
    check_jobs(_fig, {"{net}/{model}/{variant}/group{group}".format(**c): kin_job(_fig, SimpleNamespace(**c))
                      for c in kin_cells(_fig) if "reuse" not in config[_fig]["models"][c["model"]]})


TARGET_CHECKS.append(kin_target_problem)


rule kin_job_params:
    """The parameters of one job of a Fig. 3 kin: Fig. 3's job for the base model and the figure's settings."""
    output:
        f"{RESULTS}/{{fig}}/params/{{net}}/{{model}}/{{variant}}/group{{group}}.json",
    params:
        **job_parameters(lambda w: kin_job(w.fig, w)),
    log:
        f"{LOGS}/{{fig}}/params/{{net}}/{{model}}/{{variant}}/group{{group}}.log",
    wildcard_constraints:
        **KIN_WILDCARDS,
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule kin_simulate:
    """One job of a Fig. 3 kin: the teacher-student task with the replay against backprop."""
    input:
        params=rules.kin_job_params.output[0],
        kernels=lambda w: teacher_student_kernels(kin_base(w.fig, w.model)),
    output:
        f"{RESULTS}/{KIN_RUN}.nc",
    params:
        options=simulate_options() + (["--compare", "bp"] if config["fig3"]["compare_bp"] else []),
    log:
        f"{LOGS}/{KIN_RUN}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{KIN_RUN}.tsv"
    wildcard_constraints:
        **KIN_WILDCARDS,
    threads: 1
    resources:
        runtime=replay_runtime(config["fig3"]),
        mem_mb=lambda w, attempt: 1500 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule kin_aggregate:
    """Every run of a Fig. 3 kin (its own and Fig. 3's reused ones) on (net, model, variant, seed)."""
    input:
        runs=lambda w: [kin_run(w.fig, c) for c in kin_cells(w.fig)],
    output:
        f"{RESULTS}/{{fig}}/{{fig}}.nc",
    params:
        cells=lambda w: kin_cells(w.fig),
        dims=["net", "model", "variant"],
        keep=FIG3_KEEP,
        coords=lambda w: {
            "net": {"complexity": FIG3_COMPLEXITY},
            "model": {"model_label": ["the model as the figure's legend calls it", kin_labels(w.fig)],
                      "base_model": ["the model family it runs", {m: kin_base(w.fig, m) for m in config[w.fig]["models"]}]}},
        dim_attrs={"net": {"long_name": "network (units per area)"},
                   "model": {"long_name": "model (a family, or a family with settings of this figure)"},
                   "variant": {"long_name": "trained, or untrained (1 epoch, learning rates 0)"}},
        title=lambda w: f"{REGISTRY['figures'][w.fig]['title']} (aggregated runs)",
        scale=config["scale"],
    log:
        f"{LOGS}/{{fig}}/aggregate.log",
    wildcard_constraints:
        fig=KIN_WILDCARDS["fig"],
    localrule: True
    resources:
        mem_mb=4000,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate.py"
