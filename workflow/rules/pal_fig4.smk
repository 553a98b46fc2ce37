"""PAL's Fig. 4a,b: a 1-1-1 student of a teacher with weights 2, its feedback weight starting with the wrong
sign, trained with BP, FA and PAL.  Its jobs and aggregation are the shared rules of
workflow/rules/pal_runs.smk."""

check_pal_figure("pal_fig4")
PAL_KEEP["pal_fig4"] = {v: v for v in ("mse", "forward_weights", "feedback_weights")}
PAL_DIM_ATTRS["pal_fig4"] = {"model": {"long_name": "feedback: BP (B = W^T), FA (B fixed) or PAL (B learned from noise)"}}
