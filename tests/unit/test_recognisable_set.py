"""The recognisability check against a labelled set of fictional case texts.

tests/data/recognisable_cases.json holds Dutch case texts as youth-care workers write them, about
half with details that identify a client (names, "gezin K.", places, streets, schools, ages,
dates of birth, phone numbers, BSN) and half without (including look-alikes such as "Albert Heijn",
"Veilig Thuis", "De Bascule", method names). The thresholds are the figures measured with
`python -m bench.recognisable_eval` (rounded down for recall, up for false alarms): a change that
finds less, or warns about more clean texts, fails here and needs a deliberate decision.
"""
import json
from pathlib import Path

import pytest

from app import placenames
from app.recognisable import check

CASES = json.loads((Path(__file__).parent.parent / "data" / "recognisable_cases.json").read_text("utf-8"))["cases"]
IDENTIFYING = [case for case in CASES if case["warn"]]
CLEAN = [case for case in CASES if not case["warn"]]


@pytest.fixture(scope="module", autouse=True)
def places():
    assert placenames.load(timeout=300), "Deduce's place names did not load"


def details_found(case) -> tuple[int, int]:
    findings = check(case["text"])
    found = 0
    for _, span in case["spans"]:
        start = case["text"].index(span)
        end = start + len(span)
        found += any(f.start < end and start < f.end for f in findings)
    return found, len(case["spans"])


def test_the_set_is_big_enough_and_balanced():
    assert len(CASES) >= 40
    assert 0.4 <= len(IDENTIFYING) / len(CASES) <= 0.6


def test_every_identifying_text_gets_a_warning():
    missed = [case["id"] for case in IDENTIFYING if not check(case["text"])]
    assert missed == []                                         # measured: 35 of 35


def test_nearly_every_identifying_detail_is_pointed_out():
    found, total = map(sum, zip(*(details_found(case) for case in IDENTIFYING)))
    assert found / total >= 0.98                                # measured: 91 of 92 (98.9%)


def test_clean_texts_get_no_warning():
    alarms = {case["id"]: [(f.kind, f.text) for f in check(case["text"])] for case in CLEAN}
    assert {case_id: found for case_id, found in alarms.items() if found} == {}   # measured: 0 of 33
