"""Fig. A2: Fig. 3 with ideal lateral inhibition (the lateral weights reset to the self-predicting state after
every step).  A figure that is Fig. 3 with other models: its section is checked and registered here; its jobs,
runs and aggregation are the shared rules of workflow/rules/fig3_kin.smk."""

check_fig3_kin("figA2")
