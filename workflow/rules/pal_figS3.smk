"""PAL's SI Fig. 3: feedback alignment with prospective against plain voltages for three noise time constants.
Its jobs and aggregation are the shared rules of workflow/rules/pal_runs.smk."""

check_pal_figure("pal_figS3")
PAL_KEEP["pal_figS3"] = {v: v for v in ("angle_WPPT_BPP", "angle_BPP_RHS")}
PAL_DIM_ATTRS["pal_figS3"] = {"tau_xi": {"long_name": "time constant of the apical noise", "units": "ms"},
                             "coding": {"long_name": "prospective (PAL's u_breve) or plain (taur = 0) voltages"}}
