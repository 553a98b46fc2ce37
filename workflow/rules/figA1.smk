"""Fig. A1: Fig. 3 with the hierarchical error microcircuit.  A figure that is Fig. 3 with other models: its
section is checked and registered here; its jobs, runs and aggregation are the shared rules of
workflow/rules/fig3_kin.smk."""

check_fig3_kin("figA1")
