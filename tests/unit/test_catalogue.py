"""Every string the code and templates mark for translation has an English translation."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PYBABEL = Path(sys.executable).parent / "pybabel"
ENGLISH = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def extracted(tmp_path: Path):
    """What `pybabel extract` finds now (the README's command), as a catalogue."""
    pot = tmp_path / "messages.pot"
    subprocess.run([str(PYBABEL), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                    "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        return read_po(handle)


def translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(s and s.strip() for s in strings) and not message.fuzzy


def test_the_english_catalogue_translates_every_extracted_string(tmp_path):
    with ENGLISH.open("rb") as handle:
        english = read_po(handle)
    missing = []
    for message in extracted(tmp_path):
        if not message.id:
            continue  # the header
        found = english.get(message.id, message.context)
        if found is None or not translated(found):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert missing == []
