"""Fig. C1: non-linear dendritic hPC.  A figure that is Fig. 3 with other models: its
section is checked and registered here; its jobs, runs and aggregation are the shared rules of
workflow/rules/fig3_kin.smk."""

check_fig3_kin("figC1")
