"""`make bench`: run every benchmark on the embedded stack (or the URLs given) and rewrite
bench/RESULTS.md. Usage: python -m bench [--times N] [--only system,evidence,...] [...]"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bench import audit, event_store, evidence_log, memory, pipeline, soak, system, targets
from bench.common import Figure, machine, servers, write_results
from bench.profiling import profiled

T = TypeVar("T")
SECTIONS = ("pipeline", "event_store", "system", "evidence", "audit", "memory")
# Too long for the 15 minutes of `make bench`: run on its own, merged into the last full run.
SEPARATE = ("soak",)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--times", type=int, default=3, help="repetitions of every figure")
    parser.add_argument("--events", type=int, default=2000, help="pipeline and store events")
    parser.add_argument("--pairs", type=int, default=24, help="concurrent user pairs")
    parser.add_argument("--leaves", type=int, default=10_000, help="leaves per durable run")
    parser.add_argument(
        "--audit-events",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[100_000, 1_000_000],
        help="drafting events per audit namespace (plus the log's own: 2 per batch anchored)",
    )
    parser.add_argument(
        "--memory-events", type=int, default=100_000, help="drafting events anchored (memory)"
    )
    parser.add_argument(
        "--soak-notes", type=int, default=3000, help="lifecycles of the soak (--only soak)"
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections, of {SECTIONS + SEPARATE}",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument runs")
    parser.add_argument("--render", action="store_true", help="rewrite RESULTS.md from .json")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    return parser.parse_args()


def _timed(seconds: dict[str, float], name: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        return work()
    finally:
        seconds[name] = time.perf_counter() - started
        print(f"[bench] {name}: {seconds[name]:.0f} s", flush=True)


def main() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)  # pymerkle's get_state
    args = _args()
    if args.render:
        print(render(args.out))
        return
    only = set(args.only.split(","))
    sections: dict[str, list[Figure]] = {}
    profiles: dict[str, list[str]] = {}
    blocks: dict[str, list[str]] = {}
    took: dict[str, float] = {}
    started = time.perf_counter()
    with servers() as (db, nats_url):
        if "pipeline" in only:
            sections["Event pipeline"] = _timed(
                took,
                "pipeline",
                lambda: asyncio.run(pipeline.run(db, nats_url, args.events, args.times)),
            )
        if "event_store" in only:
            sections["Event store"] = _timed(
                took,
                "event_store",
                lambda: asyncio.run(event_store.run(db, args.events, args.times)),
            )
        if "system" in only:
            results = _timed(
                took,
                "system",
                lambda: asyncio.run(system.measure(db, nats_url, args.pairs, args.times)),
            )
            sections.update(system.figures(results, args.pairs))
            blocks["Memory of each service process"] = system.memory_series(results.memory)
            blocks["Failed lifecycles, by reason"] = system.failures(results)
            if not args.no_profile:
                profiles["Whole system: the four services in one process, 8 lifecycles"] = _timed(
                    took, "system profile", lambda: asyncio.run(system.profile(db, nats_url, 8))
                )
        if "evidence" in only:
            samples = _timed(
                took,
                "evidence",
                lambda: asyncio.run(evidence_log.measure(db, args.times, args.leaves)),
            )
            sections["Evidence log"] = evidence_log.figures(samples, args.leaves)
        if "audit" in only:
            sections["Replay audit"] = _timed(
                took,
                "audit",
                lambda: asyncio.run(audit.run(db, nats_url, args.audit_events, args.times)),
            )
            if not args.no_profile:
                profiles["Replay audit over 10,000 drafting events"] = _timed(
                    took, "audit profile", lambda: asyncio.run(_audit_profile(db, nats_url))
                )
        if "memory" in only:
            series = _timed(
                took,
                "memory",
                lambda: asyncio.run(memory.measure(db, nats_url, args.memory_events, steps=5)),
            )
            title = "Memory of the evidence service under sustained anchoring"
            sections[title], blocks[title + ", RSS after each step"] = memory.figures(
                series, args.memory_events
            )
        if "soak" in only:
            run = _timed(
                took,
                "soak",
                lambda: asyncio.run(soak.measure(db, nats_url, args.soak_notes, args.pairs)),
            )
            title = "Memory of each service process over a long run (separate run)"
            sections[title], blocks[title + ", RSS after batches"] = soak.figures(run, args.pairs)
    took["total"] = time.perf_counter() - started
    if only != set(SECTIONS):
        took[f"total of the partial rerun ({args.only})"] = took.pop("total")
    raw: dict[str, Any] = {
        "sections": {t: [dataclasses.asdict(f) for f in fs] for t, fs in sections.items()},
        "profiles": profiles,
        "blocks": blocks,
        "took": took,
        "machine": machine(),
    }
    saved = args.out.with_suffix(".json")
    if only != set(SECTIONS) and saved.exists():  # a partial run updates the last full one
        last = json.loads(saved.read_text())
        for key in ("sections", "profiles", "blocks", "took"):
            raw[key] = {**last.get(key, {}), **raw[key]}
        raw["machine"]["partial rerun"] = f"{args.only} at {raw['machine']['date']}"
        raw["machine"]["date"] = last["machine"]["date"]
    saved.write_text(json.dumps(raw, indent=1, ensure_ascii=False))
    print(render(args.out))


def render(out: Path) -> str:
    """RESULTS.md from the figures a run saved beside it (`--render` redoes only this)."""
    raw = json.loads(out.with_suffix(".json").read_text())
    sections = {t: [Figure(**f) for f in fs] for t, fs in raw["sections"].items()}
    profiles, took = raw["profiles"], raw["took"]
    extra = {
        **raw.get("blocks", {}),
        "Targets": targets.table(sections),
        "Profiles (pyinstrument, self time by module or package)": [
            line
            for title, top in profiles.items()
            for line in (f"- **{title}**", *[f"  - {t}" for t in top])
        ],
        "Run time of each part": [f"- {k}: {v:.0f} s" for k, v in took.items()],
    }
    return write_results(out, sections, targets.NOTES, extra, raw["machine"])


async def _audit_profile(db: str, nats_url: str) -> list[str]:
    settings, events = await audit.build(db, nats_url, 10_000)
    try:
        rate, top = await profiled(audit.audit_rate(settings, events), top=10)
    finally:
        await audit.drop(settings)
    return [f"{rate:,.0f} events/s under the profiler", *top]


if __name__ == "__main__":
    main()
