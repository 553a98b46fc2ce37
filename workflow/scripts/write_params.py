"""Write the parameter set a job receives (snakemake.params.p, a namespace) as JSON, checked by the simulator first."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from microcircuits.params import ParamsError, params_from_mapping
from microcircuits.params_pal import pal_params_from_mapping

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

out = Path(snakemake.output[0])
parameters = vars(snakemake.params.p)
with open(snakemake.log[0], "w") as log:
    try:
        check = params_from_mapping if "mc_model" in parameters else pal_params_from_mapping  # PAL's runner files have none
        check(parameters, source=f"config ({out})")
    except ParamsError as err:
        print(err, file=log)
        print(err, file=sys.stderr)
        raise SystemExit(2)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(parameters, indent=1, sort_keys=True) + "\n")
    tmp.replace(out)
    print(f"wrote {out}", file=log)
