"""Fig. 5: activation heterogeneity σ on representation vs error units of Fig. 4's 10-1000-784 network, on
(site, sigma, seed).  σ = 0 is not run again: it is Fig. 4's run of the same network and seed, which has the
same parameters (workflow/rules/fig4.smk), shared by both sites."""

FIG5 = config["fig5"]

check_section("fig5", yaml.safe_load(f"""
type: object
properties:
  seeds: {{$ref: "#/$defs/seeds"}}
  seeds_per_job: {{type: integer, minimum: 1}}
  threads_per_job: {{type: integer, minimum: 1, maximum: 2}}
  n_rep: {{type: integer, minimum: 1}}
  n_err: {{type: integer, minimum: 1}}
  sigmas:
    type: array
    minItems: 1
    uniqueItems: true
    items: {{type: number, exclusiveMinimum: 0}}
  sites:
    description: site name -> the parameter keys set to sigma
    type: object
    minProperties: 1
    propertyNames: {{pattern: "^{NAME}$"}}
    additionalProperties: {{type: array, items: {{type: string}}, minItems: 1}}
  extra: {{type: object}}
  omit:
    description: keys of Fig. 4's common set the heterogeneity jobs leave out
    type: array
    items: {{type: string}}
  notebook: {{$ref: "#/$defs/notebook"}}
required: [seeds, seeds_per_job, threads_per_job, n_rep, n_err, sigmas, sites, extra]
additionalProperties: false
"""))
if not set(FIG5["seeds"]) <= set(FIG4["seeds"]) or FIG5["n_rep"] not in FIG4["n_rep"] or FIG5["n_err"] not in FIG4["n_err"]:
    raise WorkflowError("config/fig5.yaml: seeds, n_rep, n_err: σ = 0 reuses Fig. 4's runs, so these must be among "
                        "config/fig4.yaml's seeds and network sizes (at this scale)")


FIG5_JOBS = grid(site=list(FIG5["sites"]), sigma=FIG5["sigmas"], group=range(len(seed_groups(FIG5))))
# σ = 0: Fig. 4's runs of the same network that hold Fig. 5's seeds
FIG5_BASELINE = [FIG4_RUN.format(n_rep=FIG5["n_rep"], n_err=FIG5["n_err"], group=g)
                 for g, seeds in enumerate(seed_groups(FIG4)) if set(seeds) & set(FIG5["seeds"])]
FIG5_RUN = "fig5/runs/{site}/sigma{sigma}/group{group}"
# a job's parameters: Fig. 4's network with the spread sigma on the keys of the site, the keys of `omit` left out
FIG5_PARAMS = lambda site, sigma, group: {
    k: v for k, v in genmnist_params(FIG4["common"], FIG5["n_rep"], FIG5["n_err"], seed_groups(FIG5)[int(group)],
                                     merged(FIG5["extra"], {key: float(sigma) for key in FIG5["sites"][site]})).items()
    if k not in FIG5.get("omit", [])}
FIG5_WILDCARDS = dict(site="|".join(FIG5["sites"]), sigma="|".join(re.escape(str(s)) for s in FIG5["sigmas"]),
                      group=groups_pattern(FIG5))
check_jobs("fig5", {"{site}/sigma{sigma}/group{group}".format(**j): FIG5_PARAMS(j["site"], j["sigma"], j["group"])
                    for j in FIG5_JOBS})


rule fig5_job_params:
    """The parameters of one Fig. 5 job: heterogeneity sigma on representation or error units."""
    output:
        f"{RESULTS}/fig5/params/{{site}}/sigma{{sigma}}/group{{group}}.json",
    params:
        **job_parameters(lambda w: FIG5_PARAMS(w.site, w.sigma, w.group)),
    log:
        f"{LOGS}/fig5/params/{{site}}/sigma{{sigma}}/group{{group}}.log",
    wildcard_constraints:
        **FIG5_WILDCARDS,
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/write_params.py"


rule fig5_simulate:
    """One Fig. 5 job: genMNIST training of the 10-1000-784 errormc with heterogeneous units."""
    input:
        params=rules.fig5_job_params.output[0],
        kernels=warmup_flag("genmnist"),
    output:
        f"{RESULTS}/{FIG5_RUN}.nc",
    params:
        options=simulate_options(),
    log:
        f"{LOGS}/{FIG5_RUN}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{FIG5_RUN}.tsv"
    wildcard_constraints:
        **FIG5_WILDCARDS,
    threads: FIG5["threads_per_job"]
    resources:
        runtime=genmnist_runtime(FIG5, FIG4["common"]["epochs"]),
        # measured peak: 312 MB for a 10-1000-784 seed at the paper's scale
        mem_mb=lambda w, attempt: 1000 * attempt,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/simulate.py"


rule fig5_aggregate:
    """The runs on (site, sigma, seed), σ = 0 from Fig. 4 for both sites."""
    input:
        runs=[f"{RESULTS}/{FIG5_RUN}.nc".format(**j) for j in FIG5_JOBS],
        baseline=FIG5_BASELINE,
    output:
        f"{RESULTS}/fig5/fig5.nc",
    params:
        cells=[dict(j, sigma=float(j["sigma"])) for j in FIG5_JOBS],
        dims=["site", "sigma"],
        keep=GENMNIST_KEEP,
        shared=["target_image"],
        baseline=[{"site": s, "sigma": 0.0} for s in FIG5["sites"]],
        seeds=FIG5["seeds"],
        dim_attrs={"site": {"long_name": "where the heterogeneity is: rep = representation units, error = error units"},
                   "sigma": {"long_name": "activation variability: std of the per-unit slope and offset spread", "units": "1"}},
        title="Fig. 5: activation heterogeneity (aggregated runs; sigma = 0 from Fig. 4)",
        scale=config["scale"],
    log:
        f"{LOGS}/fig5/aggregate.log",
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/aggregate.py"
