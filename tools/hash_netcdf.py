"""Hash the values of every data variable in the NetCDF files under a folder, to show that a change kept the
numbers: attributes (provenance, times) are left out, so two runs of the same code give the same hashes.

    python tools/hash_netcdf.py results > before.json        # one line per file and variable
    python tools/hash_netcdf.py results --compare before.json [--map OLD=NEW ...]

``--compare`` prints every variable whose values differ or that is missing; ``--map`` renames a path prefix
(``results/fig3=results/smoke/fig3``) or a variable (``:err_unit=pop_unit``) of the old listing first.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import xarray as xr


def variable_hash(values: np.ndarray) -> str:
    a = np.asarray(values)
    h = hashlib.sha256(str((a.dtype.str if a.dtype.kind != "O" else "O", a.shape)).encode())
    h.update(a.astype(str).tobytes() if a.dtype.kind in "OU" else np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def hashes(root: Path) -> dict[str, str]:
    out = {}
    for f in sorted(root.rglob("*.nc")):
        with xr.open_dataset(f, decode_times=False) as ds:
            for name, var in ds.data_vars.items():
                out[f"{f}:{name}"] = variable_hash(var.values)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--compare", type=Path, help="a listing written before")
    ap.add_argument("--map", action="append", default=[], metavar="OLD=NEW")
    args = ap.parse_args(argv)
    now = hashes(args.root)
    if not args.compare:
        json.dump(now, sys.stdout, indent=0, sort_keys=True)
        return 0
    before = json.loads(args.compare.read_text())
    for rule in args.map:
        old, new = rule.split("=", 1)
        if old.startswith(":"):
            before = {(k[: -len(old)] + ":" + new[1:] if k.endswith(old) else k): v for k, v in before.items()}
        else:
            before = {(new + k[len(old):] if k.startswith(old) else k): v for k, v in before.items()}
    same = sum(1 for k, v in before.items() if now.get(k) == v)
    differ = [k for k, v in before.items() if k in now and now[k] != v]
    missing = [k for k in before if k not in now]
    added = [k for k in now if k not in before]
    for k in differ:
        print(f"differs: {k}")
    for k in missing:
        print(f"missing: {k}")
    for k in added:
        print(f"new:     {k}")
    print(f"{same} of {len(before)} variables bit-identical; {len(differ)} differ, {len(missing)} missing, {len(added)} new")
    return 0 if not differ and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
