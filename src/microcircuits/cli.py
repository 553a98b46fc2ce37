"""The ``microcircuits`` command: run a parameter file, check one, or list the parameter keys.

Exit codes: 0 done; 2 bad input (file, key, value or option), with a one-line reason on stderr; 1 any other
failure.  Outputs appear only when complete.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .params import SCHEMA, InputError, ParamsError, load_params

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="microcircuits", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="run the experiment of a parameter file and write NetCDF")
    sim.add_argument("params", type=Path, help="reference params.json or project YAML")
    sim.add_argument("--out", type=Path, required=True, help="output NetCDF file")
    sim.add_argument("--seed", type=int, nargs="+", help="student seeds (override random_seed)")
    sim.add_argument("--epochs", type=int, help="training epochs (override)")
    sim.add_argument("--compare", choices=["bp", "BP"], help="replay the run and compare every update with backprop")
    sim.add_argument("--set", metavar="KEY=JSON", action="append", default=[],
                     help="override any parameter, value in JSON (e.g. --set dataset_size=10)")
    sim.add_argument("--attr", metavar="KEY=VALUE", action="append", default=[],
                     help="an extra global attribute of the output file (e.g. --attr scale=paper)")
    sim.add_argument("--threads", type=int, metavar="N",
                     help="threads of the large layered networks (Figs. 4-5), whose step runs two memory streams "
                          "at once (default: Numba's, all cores unless NUMBA_NUM_THREADS says otherwise)")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")

    chk = sub.add_parser("check", help="validate a parameter file and print the run it describes")
    chk.add_argument("params", type=Path)

    sub.add_parser("keys", help="print the parameter keys as a Markdown table")

    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "check":
            p = load_params(args.params)
            print(f"{args.params}: {p.mc_model} {'-'.join(map(str, p.layers))}, {p.epochs} epochs, "
                  f"seeds {list(p.random_seed or [])}, input {p.input_signal}: ok")
            return EXIT_OK
        print(keys_table())
        return EXIT_OK
    except InputError as err:
        print(f"microcircuits: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (microcircuits keys | head): end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("microcircuits: interrupted", file=sys.stderr)
        return EXIT_FAILURE


def _overrides(args) -> dict:
    import json
    out = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ParamsError("--set", item, item, "expected KEY=VALUE with VALUE in JSON")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    if args.seed:
        out["random_seed"] = list(args.seed)
    if args.epochs is not None:
        out["epochs"] = args.epochs
    return out


def _simulate(args) -> int:
    """Run the task the parameter file names (input_signal) and write its dataset."""
    from .io.netcdf import write_netcdf

    if args.out.suffix != ".nc":
        raise InputError(f"--out {args.out}: expected a file name ending in .nc")
    if args.out.is_dir():
        raise InputError(f"--out {args.out}: is a directory; expected a file name ending in .nc")
    if not args.out.parent.is_dir():
        raise InputError(f"--out {args.out}: the folder {args.out.parent} does not exist (create it first)")
    p = load_params(args.params, _overrides(args))
    threads = _set_threads(args.threads)
    command = "microcircuits " + " ".join(map(str, args.argv))
    t0 = time.perf_counter()
    from .io import DATASETS
    from .tasks import TASKS
    if args.compare and p.input_signal != "step":
        raise ParamsError(p.source, "--compare", args.compare,
                          f"the comparison with backprop is for the teacher-student task, not input_signal '{p.input_signal}'")
    task = TASKS[p.input_signal]
    run = (task.run(p, compare=bool(args.compare), progress=not args.quiet) if args.compare
           else task.run(p, progress=not args.quiet))
    ds = DATASETS[p.input_signal](run, command=command)
    ds.attrs["wall_time_s"] = round(time.perf_counter() - t0, 3)
    ds.attrs["threads"] = threads
    for item in args.attr:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParamsError("--attr", "--attr", item, "expected KEY=VALUE")
        ds.attrs[key] = value
    write_netcdf(ds, args.out)
    if not args.quiet:
        print(f"wrote {args.out} ({run.steps_simulated:,} steps in {ds.attrs['wall_time_s']:.1f} s)", file=sys.stderr)
    return EXIT_OK


def _set_threads(n: int | None) -> int:
    """Use ``n`` Numba threads (None: keep Numba's number); returns the number in use."""
    import numba

    if n is not None:
        most = numba.config.NUMBA_NUM_THREADS
        if not 1 <= n <= most:
            raise ParamsError("--threads", "--threads", n, f"an integer from 1 to {most} (NUMBA_NUM_THREADS)")
        numba.set_num_threads(n)
    return numba.get_num_threads()


def keys_table() -> str:
    lines = ["| key | kind | default | status | meaning |", "|---|---|---|---|---|"]
    from dataclasses import fields

    from .params import Params
    defaults = {f.name: f.default for f in fields(Params)}
    for k, meta in SCHEMA.items():
        default = "required" if meta["required"] else repr(defaults[k])
        lines.append(f"| `{k}` | {meta['check'].kind} | {default} | {meta['status']} | {meta['doc']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
