"""Browser tests (a package, so this conftest does not take the name `conftest` from tests/conftest.py)."""
