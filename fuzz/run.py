"""Run the fuzz targets of ``fuzz/targets.py`` for a bounded time or number of runs each.

    .venv/bin/python fuzz/run.py                    # every target, 30 s each
    .venv/bin/python fuzz/run.py --seconds 120 tlv card_face
    .venv/bin/python fuzz/run.py --runs 100000 --engine hypothesis

Engines: ``atheris`` (coverage-guided libFuzzer, instrumenting the kiosk, kiosk_protocol,
kiosk_backend and kiosk_testbed packages; one subprocess per target, seeded with genuine
inputs) when it is installed, else ``hypothesis`` (random and mutated bytes from hypothesis,
derandomized). Prints the executions per target and a summary; exits 1 if any target found
a crash. Crash inputs go to ``out/fuzz/<target>/`` (ignored by git).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out" / "fuzz"
INSTRUMENTED = ["kiosk", "kiosk_protocol", "kiosk_backend", "kiosk_testbed"]


def _atheris_available() -> bool:
    return importlib.util.find_spec("atheris") is not None


def _worker_atheris(name: str, runs: int, seconds: int, corpus: Path) -> None:
    """Inside the subprocess: instrument our packages, then hand the target to libFuzzer."""
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=INSTRUMENTED):
        from fuzz import targets
    targets.genuine()  # issue the genuine card before fuzzing starts
    for index, seed in enumerate(targets.TARGETS[name][1]()):
        (corpus / f"seed-{index}").write_bytes(seed)
    artifacts = OUT / name
    artifacts.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.argv[0],
        str(corpus),
        f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1",
        "-max_len=8192",
        "-timeout=10",
        "-rss_limit_mb=4096",
    ]
    if runs:
        argv.append(f"-runs={runs}")
    if seconds:
        argv.append(f"-max_total_time={seconds}")
    atheris.Setup(argv, lambda data: targets.run_one(name, data))
    atheris.Fuzz()


class _TimeUpError(Exception):
    """Ends a hypothesis run when its time is used up."""


def _worker_hypothesis(name: str, runs: int, seconds: int) -> None:
    """Inside the subprocess: hypothesis-driven bytes (random and mutated seeds), generation
    only (a crash is reported as found, unshrunk, with its input in the traceback)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from fuzz import targets
    from tests.hostile.mutations import damaged

    seeds = targets.TARGETS[name][1]()
    inputs = st.one_of(st.binary(max_size=2048), *[damaged(seed, 6) for seed in seeds])
    deadline = time.monotonic() + (seconds or 10**9)
    count = 0

    @settings(
        max_examples=runs or 10**9,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs)
    def one(data: bytes) -> None:
        nonlocal count
        if time.monotonic() > deadline:
            raise _TimeUpError
        count += 1
        targets.run_one(name, data)

    try:
        one()
    except _TimeUpError:
        pass
    finally:
        print(f"Done {count} runs", file=sys.stderr, flush=True)


def _launch(name: str, engine: str, runs: int, seconds: int) -> tuple[int, float, bool, str]:
    """Run one target in its own process; returns (executions, seconds, crashed, tail)."""
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as corpus:
        command = [
            sys.executable,
            __file__,
            "--worker",
            engine,
            "--runs",
            str(runs),
            "--seconds",
            str(seconds),
            "--corpus",
            corpus,
            name,
        ]
        env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
        started = time.monotonic()
        process = subprocess.run(
            command,
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 300 if seconds else None,
            check=False,
        )
        elapsed = time.monotonic() - started
    output = process.stdout + process.stderr
    counts = re.findall(r"stat::number_of_executed_units: (\d+)", output)  # libFuzzer
    counts = counts or re.findall(r"Done (\d+) runs", output)  # hypothesis engine
    executions = int(counts[-1]) if counts else 0
    crashed = process.returncode != 0
    tail = "\n".join(output.strip().splitlines()[-25:]) if crashed else ""
    saved = re.findall(r"Test unit written to (\S+)", output)
    if crashed and saved:
        tail += "\nreplayed alone: " + _replay(name, Path(saved[-1]))
    return executions, elapsed, crashed, tail


def _replay(name: str, saved: Path) -> str:
    """Whether the saved input fails again in a fresh process (a real, reproducible crash)."""
    code = (
        "import sys; from fuzz.targets import run_one; "
        f"run_one({name!r}, open({str(saved)!r}, 'rb').read())"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode == 0:
        return f"{saved} returns normally: the failure depends on the fuzzing process, not input"
    return f"{saved} fails again:\n" + "\n".join(done.stderr.strip().splitlines()[-8:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="targets to run (default: all)")
    parser.add_argument("--seconds", type=int, default=30, help="time per target (0: no limit)")
    parser.add_argument("--runs", type=int, default=0, help="executions per target (0: no limit)")
    parser.add_argument("--engine", choices=["atheris", "hypothesis"], default=None)
    parser.add_argument("--worker", choices=["atheris", "hypothesis"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        name = args.targets[0]
        if args.worker == "atheris":
            _worker_atheris(name, args.runs, args.seconds, Path(args.corpus))
        else:
            _worker_hypothesis(name, args.runs, args.seconds)
        return 0
    if not args.seconds and not args.runs:
        parser.error("give --seconds or --runs (a run must be bounded)")
    sys.path.insert(0, str(REPO))
    from fuzz.targets import TARGETS

    names = args.targets or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}; known: {', '.join(TARGETS)}")
    engine = args.engine or ("atheris" if _atheris_available() else "hypothesis")
    print(
        f"engine {engine}; per target: {args.seconds or '-'} s, {args.runs or '-'} runs", flush=True
    )
    total, failures = 0, []
    for name in names:
        executions, elapsed, crashed, tail = _launch(name, engine, args.runs, args.seconds)
        total += executions
        verdict = "CRASH" if crashed else "ok"
        print(f"{name:20s} {executions:10d} executions {elapsed:7.1f} s  {verdict}", flush=True)
        if crashed:
            failures.append(name)
            print(tail, flush=True)
    print(f"{'total':20s} {total:10d} executions; crashes: {', '.join(failures) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
