"""How well does the recognisability check find what identifies a client, and how often does it cry wolf?

Runs every detector option over the labelled fictional case texts in
tests/data/recognisable_cases.json and prints, per option:
- recall: identifying texts that get at least one warning, and labelled details (spans) that a
  warning touches, overall and per kind;
- false alarms: clean texts that get any warning;
- time per check of a typical 1,500-character case after warm-up, and Deduce's one-off load.

Run: `.venv/bin/python -m bench.recognisable_eval` (add `-v` to list misses and false alarms).
Needs Deduce installed (`pip install deduce`); without it only our own patterns are measured.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from app import placenames, recognisable

CASES_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "recognisable_cases.json"

Span = tuple[str, int, int]          # (kind, start, end)
Detector = Callable[[str], list[Span]]

# Deduce's tags in our words. "patient" only appears when a patient's name is given, which we do not.
DEDUCE_KINDS = {
    "persoon": "name", "patient": "name", "locatie": "place", "straat": "address",
    "huisnummer": "address", "straat_huisnummer": "address", "postcode": "postcode", "postbus": "address",
    "ziekenhuis": "institution", "zorginstelling": "institution", "datum": "date", "leeftijd": "age",
    "bsn": "bsn", "id": "id", "telefoonnummer": "phone", "emailadres": "email", "url": "url",
}


def load_cases() -> list[dict]:
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
    for case in cases:
        case["gold"] = [(kind, case["text"].index(span), case["text"].index(span) + len(span))
                        for kind, span in case["spans"]]
    return cases


def ours(text: str) -> list[Span]:
    """Our patterns and Deduce's place names: what the case editor runs."""
    return [(f.kind, f.start, f.end) for f in recognisable.check(text)]


def patterns_only(text: str) -> list[Span]:
    return [(f.kind, f.start, f.end) for f in recognisable.check(text, places=False)]


def load_deduce():
    from deduce import Deduce
    return Deduce()


def deduce_detector(model) -> Detector:
    def detect(text: str) -> list[Span]:
        document = model.deidentify(text)
        return [(DEDUCE_KINDS.get(a.tag.split("+")[0], a.tag), a.start_char, a.end_char)
                for a in document.annotations]
    return detect


def only(detector: Detector, kinds: set[str]) -> Detector:
    return lambda text: [span for span in detector(text) if span[0] in kinds]


def union(*detectors: Detector) -> Detector:
    return lambda text: [span for detect in detectors for span in detect(text)]


def evaluate(name: str, detect: Detector, cases: list[dict], verbose: bool) -> dict:
    texts_hit = texts_warn = false_alarms = clean = 0
    per_kind_found: Counter[str] = Counter()
    per_kind_total: Counter[str] = Counter()
    for case in cases:
        found = detect(case["text"])
        if case["warn"]:
            texts_warn += 1
            texts_hit += bool(found)
            for kind, start, end in case["gold"]:
                per_kind_total[kind] += 1
                hit = any(s < end and start < e for _, s, e in found)
                per_kind_found[kind] += hit
                if verbose and not hit:
                    print(f"  [{name}] missed {kind} {case['text'][start:end]!r} in {case['id']}")
        else:
            clean += 1
            false_alarms += bool(found)
            if verbose and found:
                shown = ", ".join(f"{k} {case['text'][s:e]!r}" for k, s, e in found)
                print(f"  [{name}] false alarm in {case['id']}: {shown}")
    return {
        "name": name, "text_recall": texts_hit / texts_warn,
        "span_recall": sum(per_kind_found.values()) / sum(per_kind_total.values()),
        "false_alarms": false_alarms, "clean": clean,
        "per_kind": {kind: (per_kind_found[kind], per_kind_total[kind]) for kind in sorted(per_kind_total)},
    }


def typical_case(cases: list[dict]) -> str:
    """About 1,500 characters of case text: the longest labelled case, topped up with others."""
    texts = sorted((c["text"] for c in cases), key=len, reverse=True)
    text = texts[0]
    for extra in texts[1:]:
        if len(text) >= 1500:
            break
        text += "\n" + extra
    return text[:1500]


def time_per_check(detect: Detector, text: str, runs: int = 30) -> float:
    """Median CPU milliseconds per call after three warm-up calls (CPU time: other processes on a
    busy machine do not count)."""
    for _ in range(3):
        detect(text)
    samples = []
    for _ in range(runs):
        started = time.process_time()
        detect(text)
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def options(deduce: Detector | None) -> dict[str, Detector]:
    found = {"our patterns": patterns_only, "our patterns + Deduce place names (chosen)": ours}
    if deduce is None:
        return found
    found.update({
        "Deduce (full model)": deduce,
        "our patterns + Deduce (full model)": union(patterns_only, deduce),
        # Deduce without what it gets wrong in case texts: people ("Albert Heijn") and dates
        # (any appointment), keeping places, streets, ages and institutions.
        "our patterns + Deduce places/streets/ages": union(patterns_only, only(
            deduce, {"place", "address", "postcode", "age"})),
        "our patterns + Deduce places/streets/ages/inst.": union(patterns_only, only(
            deduce, {"place", "address", "postcode", "age", "institution"})),
    })
    return found


def main(verbose: bool = False) -> list[dict]:
    cases = load_cases()
    started = time.perf_counter()
    placenames_ready = placenames.load(timeout=300)
    places_seconds = time.perf_counter() - started
    deduce = load_seconds = None
    try:
        started = time.perf_counter()
        model = load_deduce()
        load_seconds = time.perf_counter() - started
        deduce = deduce_detector(model)
    except ImportError:
        print("Deduce is not installed: measuring our own patterns only.")
    text = typical_case(cases)
    n_warn = sum(c["warn"] for c in cases)
    print(f"\nRecognisability check: {len(cases)} fictional case texts, {n_warn} identifying "
          f"({sum(len(c['gold']) for c in cases)} labelled details), {len(cases) - n_warn} clean. "
          f"Timing on {len(text)} characters.")
    print(f"One-off load of Deduce's place names: {places_seconds:.1f} s"
          + ("" if placenames_ready else " (failed: measured without them)"))
    if load_seconds is not None:
        print(f"One-off load of the full Deduce model: {load_seconds:.1f} s (first run after install: "
              "a build of one to three minutes)")
    results = []
    for name, detect in options(deduce).items():
        result = evaluate(name, detect, cases, verbose)
        result["ms"] = time_per_check(detect, text)
        results.append(result)
    print(f"\n{'option':48} {'texts found':>11} {'details found':>13} {'false alarms':>12} {'ms/check':>9}")
    for r in results:
        print(f"{r['name']:48} {r['text_recall']:>11.0%} {r['span_recall']:>13.0%} "
              f"{r['false_alarms']:>5}/{r['clean']:<6} {r['ms']:>9.2f}")
    held_out = [c for c in cases if c.get("held_out")]
    print(f"\nOf which held out ({len(held_out)} texts written after tuning):")
    for name, detect in options(deduce).items():
        r = evaluate(name, detect, held_out, verbose=False)
        print(f"{name:48} {r['text_recall']:>11.0%} {r['span_recall']:>13.0%} {r['false_alarms']:>5}/{r['clean']:<6}")
    kinds = sorted({kind for r in results for kind in r["per_kind"]})
    print("\nDetails found per kind:")
    print(f"{'option':48} " + " ".join(f"{kind[:11]:>11}" for kind in kinds))
    for r in results:
        cells = [f"{r['per_kind'][k][0]}/{r['per_kind'][k][1]}" for k in kinds]
        print(f"{r['name']:48} " + " ".join(f"{cell:>11}" for cell in cells))
    return results


CHOSEN = "our patterns + Deduce place names (chosen)"
CHECK_MS = 5.0  # "within a few milliseconds" (issue 8): the editor checks as the text is typed


def rows() -> list:
    from bench.table import Row, at_most
    results = {r["name"]: r for r in main()}
    chosen = results[CHOSEN]
    found = [
        Row("Recognisability check: identifying texts warned about (chosen option)", chosen["text_recall"] * 100, "%"),
        Row("Recognisability check: labelled details found (chosen option)", chosen["span_recall"] * 100, "%"),
        Row(f"Recognisability check: false alarms on {chosen['clean']} clean texts (chosen option)",
            chosen["false_alarms"], "texts"),
        at_most("Recognisability check: CPU time per check of 1,500 characters (chosen option)", chosen["ms"],
                "ms", CHECK_MS),
    ]
    return found


if __name__ == "__main__":
    main(verbose="-v" in sys.argv[1:])
