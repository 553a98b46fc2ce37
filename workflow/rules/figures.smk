"""Rules every figure shares: the Numba warm-ups, a figure's notebook executed by papermill and rendered to
HTML, and the targets, all generated from the figure registry (workflow/figures.yaml)."""


# a warm-up compiles for a figure's network settings; seeds and lengths do not matter to the compiler
WARMUP_BASE = lambda kind: {k: v for k, v in WARMUPS[kind].items()
                            if k not in ("random_seed", "epochs", "dataset_size", "settling_time")}


rule numba_warmup:
    """Compile (or load) one model's or task's kernels once, before the simulations fan out."""
    output:
        touch(f"{RESULTS}/.numba/{{code_hash}}/{{kind}}.done"),
    params:
        **job_parameters(lambda w: WARMUP_BASE(w.kind)),
    log:
        f"{LOGS}/numba_warmup/{{code_hash}}_{{kind}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/numba_warmup/{{code_hash}}_{{kind}}.tsv"
    resources:
        runtime=20,
        mem_mb=1500,
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/numba_warmup.py"


rule notebook:
    """Execute a figure's notebook on its data (PDF and PNG next to it) and render it to HTML."""
    input:
        data=f"{RESULTS}/{{fig}}/{{fig}}.nc",
        notebook=lambda w: REGISTRY["figures"][w.fig]["notebook"],
    output:
        notebook=f"{RESULTS}/{{fig}}/{{fig}}.ipynb",
        pdf=report(f"{RESULTS}/{{fig}}/{{fig}}.pdf", category="{fig}", caption="../report/figure.rst"),
        png=report(f"{RESULTS}/{{fig}}/{{fig}}.png", category="{fig}", caption="../report/figure.rst"),
        html=report(f"{RESULTS}/{{fig}}/{{fig}}.html", category="{fig}", caption="../report/notebook.rst"),
        source_data=directory(f"{RESULTS}/{{fig}}/source_data"),
    params:
        parameters=lambda w, input, output: dict(data=input.data, out_pdf=output.pdf, out_png=output.png,
                                                 figure=w.fig, source_data=output.source_data,
                                                 **config[w.fig].get("notebook", {})),
        caption=lambda w: REGISTRY["figures"][w.fig]["caption"],
        title=lambda w: REGISTRY["figures"][w.fig]["title"],
    log:
        f"{LOGS}/{{fig}}/notebook.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{fig}}/notebook.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/run_notebook.py"


rule all:
    default_target: True
    input:
        [figure_outputs(f) for f in FIGURES],
    localrule: True


for _target, _figures in {**{f: [f] for f in FIGURES}, **GROUPS}.items():

    rule:
        name:
            _target
        input:
            [figure_outputs(f) for f in _figures],
        localrule: True


onsuccess:
    print(f"The figures made so far are linked from {write_index()}; a browsable report: "
          f"snakemake --report report.zip --config scale={config['scale']}")
