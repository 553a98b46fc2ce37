"""PAL's Fig. 3: the alignment of the learned feedback weights in the near-linear and the saturating regime,
and the angle of each update to backprop's.  Its jobs and aggregation are the shared rules of
workflow/rules/pal_runs.smk."""

check_pal_figure("pal_fig3")
PAL_KEEP["pal_fig3"] = {v: v for v in ("angle_WPPT_BPP", "angle_BPP_RHS", "angle_jacobians_BP", "angle_dw_bp")}
PAL_DIM_ATTRS["pal_fig3"] = {"regime": {"long_name": "weights U[-1, 1] (near-linear) or U[-5, 5] (saturating logistic)"}}
