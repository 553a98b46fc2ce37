"""The ``microcircuits`` command: run a parameter file, check one, or list the parameter keys.

Exit codes: 0 done; 2 bad input (file, key, value or option, a run that cannot fit or that diverges), with a
one-line reason on stderr; 1 any other failure, also in one line (--debug shows the traceback).  Outputs
appear only when complete: a run that stops, fails or is killed (SIGTERM, SIGINT) leaves no file behind.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from .params import SCHEMA, InputError, ParamsError, load_params

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in one line, like every other error of this command."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="microcircuits", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sim = sub.add_parser("simulate", help="run the experiment of a parameter file and write NetCDF")
    sim.add_argument("params", type=Path, help="reference params.json or project YAML")
    sim.add_argument("--out", type=Path, required=True, help="output NetCDF file")
    sim.add_argument("--seed", type=int, nargs="+", help="student seeds (override random_seed)")
    sim.add_argument("--epochs", type=int, help="training epochs (override)")
    sim.add_argument("--compare", choices=["bp", "BP"], help="replay the run and compare every update with backprop")
    sim.add_argument("--task", choices=["bw_only", "fw_bw"],
                     help="run a PAL runner file (Phaseless Alignment Learning's own format, no mc_model): bw_only "
                          "learns the feedback weights without a teacher, fw_bw trains on a teacher's targets")
    sim.add_argument("--set", metavar="KEY=JSON", action="append", default=[],
                     help="override any parameter, value in JSON (e.g. --set dataset_size=10)")
    sim.add_argument("--attr", metavar="KEY=VALUE", action="append", default=[],
                     help="an extra global attribute of the output file (e.g. --attr scale=paper)")
    sim.add_argument("--threads", type=int, metavar="N",
                     help="threads of the large layered networks (Figs. 4-5), whose step runs two memory streams "
                          "at once (default: Numba's, all cores unless NUMBA_NUM_THREADS says otherwise)")
    sim.add_argument("--allow-divergence", action="store_true",
                     help="keep seeds whose state stops being finite, marked in the output (variable `diverged`), "
                          "instead of stopping with an error and writing nothing")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")

    chk = sub.add_parser("check", help="run every check `simulate` runs before its first step, and describe the run")
    chk.add_argument("params", type=Path)
    chk.add_argument("--compare", choices=["bp", "BP"], help="check as for simulate --compare bp")
    chk.add_argument("--task", choices=["bw_only", "fw_bw"], help="as for simulate (PAL runner files)")
    chk.add_argument("--set", metavar="KEY=JSON", action="append", default=[], help="as for simulate")
    chk.add_argument("--seed", type=int, nargs="+", help="as for simulate")
    chk.add_argument("--epochs", type=int, help="as for simulate")
    chk.add_argument("--allow-divergence", action="store_true", help="as for simulate")
    for p_ in (sim, chk):
        p_.add_argument("--debug", action="store_true", help="on an error, show the traceback as well")

    sub.add_parser("keys", help="print the parameter keys as a Markdown table")

    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    debug = getattr(args, "debug", False)
    previous = signal.signal(signal.SIGTERM, _terminated) if args.command == "simulate" else None
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "check" and _is_pal(args):
            from .preflight import pal_preflight
            p = _load_pal(args)
            need = pal_preflight(p, args.task, bool(args.compare))
            print(f"{args.params}: PAL runner {args.task} {p.model_type} {'-'.join(map(str, p.layers))}, {p.epochs} epochs, "
                  f"seeds {list(p.random_seed)}, about {need['steps']:,} steps and {need['bytes'] / 2**20:,.0f} MiB: ok")
            return EXIT_OK
        if args.command == "check":
            from .preflight import preflight
            p = load_params(args.params, _overrides(args))
            need = preflight(p, compare=bool(args.compare))
            print(f"{args.params}: {p.mc_model} {'-'.join(map(str, p.layers))}, {p.epochs} epochs, "
                  f"seeds {list(p.random_seed or [])}, input {p.input_signal}, about {need['steps']:,} steps and "
                  f"{need['bytes'] / 2**20:,.0f} MiB: ok")
            return EXIT_OK
        print(keys_table())
        return EXIT_OK
    except InputError as err:
        if debug:
            raise
        print(f"microcircuits: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (microcircuits keys | head): end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("microcircuits: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except MemoryError:
        if debug:
            raise
        print("microcircuits: out of memory (the estimate before the run was too low; please report it)", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as err:  # noqa: BLE001  one line for the unexpected too; --debug shows where
        if debug:
            raise
        print(f"microcircuits: internal error: {type(err).__name__}: {' '.join(str(err).split())[:300]} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminated(signum, frame):
    """SIGTERM (a cluster's time limit, `kill`): unwind like Ctrl-C, so that temporary files are removed."""
    raise KeyboardInterrupt


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
    if args.allow_divergence:
        out["allow_divergence"] = True
    return out


def _extra_attributes(items: list[str]) -> dict[str, str]:
    """--attr KEY=VALUE pairs, checked before the run rather than after hours of it."""
    attrs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParamsError("--attr", "--attr", item, "expected KEY=VALUE")
        attrs[key] = value
    return attrs


def _is_pal(args) -> bool:
    """Whether ``args.params`` is run by PAL's runner (--task, or a PAL file): both or neither, else one line."""
    from .params_pal import is_pal_file
    from .params import read_parameter_file
    raw = read_parameter_file(args.params)
    if args.task and "mc_model" in raw:
        raise InputError(f"{args.params}: --task {args.task} runs PAL's runner files, which have no mc_model; this file "
                         f"names mc_model {raw['mc_model']!r}, whose task follows its input_signal (drop --task)")
    if is_pal_file(raw) and not args.task:
        raise InputError(f"{args.params}: a PAL runner file (model_type {raw.get('model_type')!r}, no mc_model): "
                         "choose its task with --task bw_only or --task fw_bw")
    return bool(args.task)


def _load_pal(args):
    from .params_pal import load_pal_params
    if args.allow_divergence:
        raise InputError("--allow-divergence: not for PAL runner files (--task); their runs keep NaN where a state diverges")
    return load_pal_params(args.params, _overrides(args))


def _simulate_pal(args) -> int:
    """Run a PAL runner file's task and write its dataset."""
    from .io.pal import pal_dataset
    from .tasks import pal as task

    check_output_path(args.out)
    attrs = _extra_attributes(args.attr)
    p = _load_pal(args)
    from .preflight import pal_preflight
    need = pal_preflight(p, args.task, bool(args.compare))
    check_free_space(args.out, need["output_bytes"])
    threads = _set_threads(args.threads)
    t0 = time.perf_counter()
    run = task.run(p, args.task, compare=bool(args.compare), progress=not args.quiet)
    ds = pal_dataset(run, command="microcircuits " + " ".join(map(str, args.argv)))
    return _finish(args, ds, run.steps_simulated, time.perf_counter() - t0, threads, attrs)


def _simulate(args) -> int:
    """Run the task the parameter file names (input_signal) and write its dataset."""
    if _is_pal(args):
        return _simulate_pal(args)
    check_output_path(args.out)
    attrs = _extra_attributes(args.attr)
    p = load_params(args.params, _overrides(args))
    from .preflight import preflight
    need = preflight(p, compare=bool(args.compare))
    check_free_space(args.out, need["output_bytes"])
    threads = _set_threads(args.threads)
    command = "microcircuits " + " ".join(map(str, args.argv))
    t0 = time.perf_counter()
    from .io import DATASETS
    from .tasks import TASKS
    task = TASKS[p.input_signal]
    from .tasks.protocol import Diverged
    try:
        run = (task.run(p, compare=True, progress=not args.quiet) if args.compare
               else task.run(p, progress=not args.quiet))
    except Diverged as err:
        raise InputError(f"{args.params}: {err}; nothing written (--allow-divergence keeps such seeds, marked)") from None
    ds = mark_divergence(DATASETS[p.input_signal](run, command=command), run)
    return _finish(args, ds, run.steps_simulated, time.perf_counter() - t0, threads, attrs)


def _finish(args, ds, steps: int, seconds: float, threads: int, attrs: dict) -> int:
    """Add the run's wall time, threads and --attr to ``ds``, write it, say so."""
    ds.attrs["wall_time_s"] = round(seconds, 3)
    ds.attrs["threads"] = threads
    ds.attrs.update(attrs)
    _write(ds, args.out)
    if not args.quiet:
        print(f"wrote {args.out} ({steps:,} steps in {ds.attrs['wall_time_s']:.1f} s)", file=sys.stderr)
    return EXIT_OK


def _write(ds, out: Path) -> None:
    from .io.netcdf import write_netcdf
    try:
        write_netcdf(ds, out)
    except OSError as err:
        raise InputError(f"--out {out}: writing failed: {err.strerror or err} (nothing written)") from None
    except RuntimeError as err:  # netCDF4 reports a full disk or a lost folder as an HDF error
        free = shutil.disk_usage(out.parent).free if out.parent.is_dir() else 0
        cause = "the disk is full" if free < 1 << 20 else f"{free / 2**20:,.0f} MiB free there"
        raise InputError(f"--out {out}: writing failed ({err}); {cause} (nothing written)") from None


def check_output_path(out: Path) -> None:
    """--out must name a new or old .nc file in an existing, writable folder; stale temporary files of dead
    runs beside it are removed."""
    if out.suffix != ".nc":
        raise InputError(f"--out {out}: expected a file name ending in .nc")
    if out.is_dir():
        raise InputError(f"--out {out}: is a directory; expected a file name ending in .nc")
    for parent in [out.parent, *out.parent.parents]:
        if parent.exists() and not parent.is_dir():
            raise InputError(f"--out {out}: {parent} is a file, not a folder")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: the folder {out.parent} does not exist (create it first)")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: the folder {out.parent} is not writable")
    from .io.netcdf import remove_stale_temporaries
    remove_stale_temporaries(out)


def check_free_space(out: Path, estimate: int) -> None:
    """Refuse to start a run whose output (``estimate`` bytes, about) cannot fit on the disk."""
    free = shutil.disk_usage(out.parent).free
    need = estimate + (16 << 20)  # and NetCDF's own structures, the attributes, the coordinates
    if free < need:
        raise InputError(f"--out {out}: {free / 2**20:,.0f} MiB free on its disk; the output may need up to "
                         f"{need / 2**20:,.0f} MiB (nothing was run)")


def mark_divergence(ds, run):
    """Add `diverged` (per seed: 1 if the seed's state left the finite range, with --allow-divergence) and
    blank the angle summaries of diverged seeds, which would otherwise read as numbers (NaN counted as 0°)."""
    import numpy as np

    marks = [getattr(getattr(s, "circuit", None), "diverged", None) for s in getattr(run, "students", [])]
    if "seed" not in ds.dims or len(marks) != ds.sizes["seed"]:
        return ds
    flag = np.array([m is not None for m in marks], dtype=np.int8)
    ds["diverged"] = (("seed",), flag, {"long_name": "whether the seed's state left the finite range (kept with "
                                                     "--allow-divergence; its numbers are not results)",
                                        "units": "1", "flag_values": np.array([0, 1], dtype=np.int8),
                                        "flag_meanings": "finite diverged"})
    if flag.any():
        ds.attrs["divergence"] = "; ".join(m for m in marks if m)
        for v in ("angle_dw_bp_mean", "angle_dw_bp_snapshot", "test_loss"):
            if v in ds:
                ds[v] = ds[v].where(ds.diverged == 0)
    return ds


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
    """Markdown tables of the keys: the error-neuron files', then PAL's runner files' (--task)."""
    from dataclasses import fields

    from .params import Params
    from .params_pal import IGNORED, PAL_SCHEMA, PalParams
    out = []
    for heading, schema, cls in ((None, SCHEMA, Params),
                                 ("PAL runner files (`--task bw_only|fw_bw`; docs/pal.md)", {**PAL_SCHEMA, **IGNORED}, PalParams)):
        defaults = {f.name: f.default for f in fields(cls)}
        if heading:
            out += ["", f"### {heading}", ""]
        out += ["| key | kind | default | status | meaning |", "|---|---|---|---|---|"]
        for k, meta in schema.items():
            required = meta["required"] or meta.get("pal_only")
            default = ("required" + (" (PAL)" if meta.get("pal_only") else "")) if required and defaults.get(k) is None \
                else repr(defaults.get(k, False))
            out.append(f"| `{k}` | {meta['check'].kind} | {default} | {meta['status']} | {meta['doc']} |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
