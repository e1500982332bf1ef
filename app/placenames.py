"""Dutch place names (cities, villages, regions) from Deduce, for the recognisability check.

Deduce (PyPI `deduce`, UMC Utrecht, LGPL) is a de-identification method for Dutch medical text.
We use only its place-name list with its own cleaning (spelling variants, common words such as
"echt" filtered out), as a token trie: measured on our labelled case texts, its people, institution
and date annotators raise false alarms ("Albert Heijn" as a person, "Samen Veilig" and "Levvel" as
institutions) that our patterns avoid, and the full Deduce model holds about 1 GB per process
(its street and institution tries) and needs a one-off build of a minute or more. The place-name
trie alone builds in one to three seconds and holds about 15 MB.

Loaded once per process, lazily and in the background: the first `find()` starts the load and
returns nothing until it is done, so the check degrades to our own patterns for the first seconds
of a process instead of making a person wait. Thread-safe: one lock guards the single load; the
finished trie is only read.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["find", "load", "ready", "warm_up"]

log = logging.getLogger(__name__)

# Too wide to identify anyone ("vanuit Marokko naar Nederland", "in Brabant"). Utrecht and
# Groningen are provinces too, but also cities, so they stay.
_TOO_WIDE = frozenset("""
    nederland holland randstad noord-holland zuid-holland brabant noord-brabant limburg gelderland
    overijssel drenthe friesland fryslân zeeland flevoland
""".split())

# The same tokens as Deduce's tokenizer gives its trie: words and single punctuation marks.
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")

_lock = threading.Lock()
_loaded = threading.Event()
_loader = None  # what runs _build(): a thread, or a job in gevent's thread pool
_trie = None   # docdeid LookupTrie, set once by _build()


def warm_up() -> None:
    """Start loading in a background thread (once per process); returns at once."""
    global _loader
    with _lock:
        if _loader is None:
            _loader = _in_background(_build)


def _in_background(target):
    """Run `target` on an OS thread. Under gevent (production's gunicorn workers) a
    threading.Thread is a greenlet, and seconds of loading without a pause would stall every
    request of the process; gevent's thread pool runs it on a real thread instead, which the
    interpreter interrupts every few milliseconds for the requests."""
    try:
        from gevent import monkey
        if monkey.is_module_patched("threading"):
            import gevent
            return gevent.get_hub().threadpool.spawn(target)
    except ImportError:
        pass
    thread = threading.Thread(target=target, name="placenames-load", daemon=True)
    thread.start()
    return thread


def load(timeout: float | None = None) -> bool:
    """Load now and wait (tests, benchmarks, a worker that wants it ready). True when ready."""
    warm_up()
    return _loaded.wait(timeout)


def ready() -> bool:
    return _loaded.is_set()


def find(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each place name in `text`; nothing while the list is still loading."""
    if not _loaded.is_set():
        warm_up()
        return
    if _trie is None:          # the load failed (logged once): our own patterns still run
        return
    tokens = list(_TOKEN_RE.finditer(text))
    words = [m.group() for m in tokens]
    first_words = _trie.children
    next_free = 0
    for i, word in enumerate(words):
        # Place names are written with a capital (or "'s-Hertogenbosch"): lowercase words such as
        # "best" and "echt" stay out.
        if i < next_free or word not in first_words or not (word[0].isupper() or word == "'"):
            continue
        match = _trie.longest_matching_prefix(words, start_i=i)
        if match:
            next_free = i + len(match)
            start, end = tokens[i].start(), tokens[next_free - 1].end()
            if text[start:end].lower() not in _TOO_WIDE:
                yield start, end


def _build() -> None:
    global _trie
    try:
        _trie = _placename_trie()
    except Exception:  # noqa: BLE001 - a missing or broken Deduce must not break the case editor
        log.exception("Place names from Deduce could not be loaded; the check runs without them")
    finally:
        _loaded.set()


def _placename_trie():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        # Importing deduce calls logging.basicConfig(level=DEBUG, stream=stdout) when the root
        # logger has no handler yet (as under gunicorn): that would print every library's debug
        # lines, so the root logger is put back as it was.
        import deduce
        from deduce.lookup_struct_loader import load_placename_lookup
        from deduce.lookup_structs import load_raw_itemsets
        from deduce.tokenizer import DeduceTokenizer
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    lists = Path(deduce.__file__).parent / "data" / "lookup"
    raw = load_raw_itemsets(lists, [
        "locations/lst_placename", "names/lst_surname",   # surnames: kept out of the common words
        "whitelist/lst_common_word", "whitelist/lst_medical_term", "whitelist/lst_stop_word",
    ])
    # Without merge terms the tokenizer splits "Alphen aan den Rijn" into plain words, as _TOKEN_RE does.
    return load_placename_lookup(raw, DeduceTokenizer())
