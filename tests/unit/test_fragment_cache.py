"""The live state's fragment cache renders a key once while many phones ask for it at once."""
from __future__ import annotations

import threading
import time

from app.intervisie.live_fragment import FragmentCache, Unshared


def test_phones_asking_at_once_share_one_render():
    cache = FragmentCache()
    renders = []

    def render():
        renders.append(1)
        time.sleep(0.1)  # every other phone arrives while this render runs
        return "<div>fase 2</div>"

    answers = []
    phones = [threading.Thread(target=lambda: answers.append(cache.get_or_render(("r", 2), render)))
              for _ in range(10)]
    for phone in phones:
        phone.start()
    for phone in phones:
        phone.join()
    assert answers == ["<div>fase 2</div>"] * 10
    assert len(renders) == 1 and cache.waits == 9
    assert cache.get_or_render(("r", 2), render) == "<div>fase 2</div>" and len(renders) == 1  # then a hit


def test_a_render_that_fails_lets_the_waiting_phones_render_themselves():
    cache = FragmentCache()
    started = threading.Event()

    def failing():
        started.set()
        time.sleep(0.05)
        raise RuntimeError("template broke")

    errors = []

    def first():
        try:
            cache.get_or_render("k", failing)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    started.wait()
    assert cache.get_or_render("k", lambda: "eigen") == "eigen"  # did not hang on the failed render
    thread.join()
    assert errors and cache.get("k") is None  # nothing wrong was kept


def test_the_cache_stays_bounded():
    cache = FragmentCache(size=3)
    for version in range(5):
        cache.get_or_render(version, lambda v=version: f"v{v}")
    assert cache.get(0) is None and cache.get(4) == "v4"


def test_an_unshared_render_goes_to_its_caller_only_and_waiters_make_their_own():
    cache = FragmentCache()
    started, release = threading.Event(), threading.Event()

    def renderers_own():
        started.set()
        release.wait(2)
        return Unshared("<div>mijn eigen</div>")
    first = []
    renderer = threading.Thread(target=lambda: first.append(cache.get_or_render("k", renderers_own)))
    renderer.start()
    started.wait(2)
    waiter = []
    other = threading.Thread(target=lambda: waiter.append(
        cache.get_or_render("k", lambda: "<div>gedeeld</div>", alone=lambda: "<div>alleen</div>")))
    other.start()
    release.set()
    renderer.join(), other.join()
    assert first == ["<div>mijn eigen</div>"] and waiter == ["<div>alleen</div>"]
    assert cache.get("k") is None  # nothing of the renderer's own was kept


def test_a_phone_waiting_for_an_empty_value_takes_it():
    """A round without items yet is an empty dict: the phones that waited for it take it, none
    asks again."""
    cache = FragmentCache()
    started, release = threading.Event(), threading.Event()
    made = []

    def slow_empty():
        started.set()
        release.wait(2)
        made.append(1)
        return {}
    renderer = threading.Thread(target=lambda: cache.get_or_render("no items yet", slow_empty))
    renderer.start()
    started.wait(2)
    waited = []
    waiter = threading.Thread(target=lambda: waited.append(cache.get_or_render("no items yet", slow_empty)))
    waiter.start()
    time.sleep(0.05)
    release.set()
    renderer.join(), waiter.join()
    assert waited == [{}] and made == [1]
