"""Figures: papermill executes the figure's notebook, nbconvert renders it; one index links them all."""


rule fig3_notebook:
    input:
        data="results/fig3/fig3.nc",
        notebook="notebooks/fig3_multilayer.ipynb",
    output:
        notebook="results/fig3/fig3_multilayer.ipynb",
        pdf=report("results/fig3/fig3.pdf", category="Fig. 3", caption="../report/fig3.rst"),
        png=report("results/fig3/fig3.png", category="Fig. 3", caption="../report/fig3.rst"),
    params:
        parameters=lambda w, input, output: dict(data=input.data, out_pdf=output.pdf, out_png=output.png),
    log:
        "logs/fig3/notebook.log",
    benchmark:
        "results/benchmarks/fig3/notebook.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/run_notebook.py"


rule fig2a_notebook:
    input:
        data="results/fig2a/fig2a.nc",
        notebook="notebooks/fig2a_cartpole.ipynb",
    output:
        notebook="results/fig2a/fig2a_cartpole.ipynb",
        pdf=report("results/fig2a/fig2a.pdf", category="Fig. 2a", caption="../report/fig2a.rst"),
        png=report("results/fig2a/fig2a.png", category="Fig. 2a", caption="../report/fig2a.rst"),
    params:
        parameters=lambda w, input, output: dict(data=input.data, out_pdf=output.pdf, out_png=output.png,
                                                 example=config["fig2a"]["example"]),
    log:
        "logs/fig2a/notebook.log",
    benchmark:
        "results/benchmarks/fig2a/notebook.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/run_notebook.py"


rule fig2b_notebook:
    input:
        data="results/fig2b/fig2b.nc",
        notebook="notebooks/fig2b_dms.ipynb",
    output:
        notebook="results/fig2b/fig2b_dms.ipynb",
        pdf=report("results/fig2b/fig2b.pdf", category="Fig. 2b", caption="../report/fig2b.rst"),
        png=report("results/fig2b/fig2b.png", category="Fig. 2b", caption="../report/fig2b.rst"),
    params:
        parameters=lambda w, input, output: dict(data=input.data, out_pdf=output.pdf, out_png=output.png),
    log:
        "logs/fig2b/notebook.log",
    benchmark:
        "results/benchmarks/fig2b/notebook.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/run_notebook.py"


rule fig4_notebook:
    input:
        data="results/fig4/fig4.nc",
        notebook="notebooks/fig4_populations.ipynb",
    output:
        notebook="results/fig4/fig4_populations.ipynb",
        pdf=report("results/fig4/fig4.pdf", category="Fig. 4", caption="../report/fig4.rst"),
        png=report("results/fig4/fig4.png", category="Fig. 4", caption="../report/fig4.rst"),
    params:
        parameters=lambda w, input, output: dict(data=input.data, out_pdf=output.pdf, out_png=output.png,
                                                 examples=config["fig4"]["examples"]),
    log:
        "logs/fig4/notebook.log",
    benchmark:
        "results/benchmarks/fig4/notebook.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/run_notebook.py"


rule fig5_notebook:
    input:
        data="results/fig5/fig5.nc",
        notebook="notebooks/fig5_noise.ipynb",
    output:
        notebook="results/fig5/fig5_noise.ipynb",
        pdf=report("results/fig5/fig5.pdf", category="Fig. 5", caption="../report/fig5.rst"),
        png=report("results/fig5/fig5.png", category="Fig. 5", caption="../report/fig5.rst"),
    params:
        parameters=lambda w, input, output: dict(data=input.data, out_pdf=output.pdf, out_png=output.png),
    log:
        "logs/fig5/notebook.log",
    benchmark:
        "results/benchmarks/fig5/notebook.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/run_notebook.py"


rule notebook_html:
    """The executed notebook of a figure, rendered to HTML (figures are embedded)."""
    input:
        "results/{fig}/{name}.ipynb",
    output:
        report("results/{fig}/{name}.html", category="Notebooks", caption="../report/notebook.rst"),
    log:
        "logs/{fig}/{name}_html.log",
    benchmark:
        "results/benchmarks/{fig}/{name}_html.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/render_html.py"


rule index:
    """results/index.html: every rendered figure with a thumbnail, its parameters and provenance."""
    input:
        pages=lambda w: [FIGURE_PAGES[f]["html"] for f in wanted_figures()],
        thumbs=lambda w: [FIGURE_PAGES[f]["png"] for f in wanted_figures()],
        data=lambda w: [FIGURE_PAGES[f]["data"] for f in wanted_figures()],
    output:
        "results/index.html",
    params:
        figures=lambda w: {f: FIGURE_PAGES[f] for f in linked_figures()},
        configs=lambda w: {f: config[f] for f in linked_figures()},
        scale=scale(),
    log:
        "logs/index.log",
    benchmark:
        "results/benchmarks/index.tsv"
    localrule: True
    conda:
        "../../envs/microcircuits.yaml"
    script:
        "../scripts/index.py"
