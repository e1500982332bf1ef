"""Settings derived from the environment."""
from pathlib import Path

from app import config


def test_relying_party_comes_from_the_public_url():
    assert config.relying_party("https://leerkring.example.nl") == ("leerkring.example.nl", "https://leerkring.example.nl")
    assert config.relying_party("http://localhost:5000") == ("localhost", "http://localhost:5000")


def test_database_url(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url(str(tmp_path)) == f"sqlite:///{tmp_path / 'leerkring.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/leerkring")
    assert config.database_url(str(tmp_path)) == "postgresql+psycopg://u@db/leerkring"


def test_generated_secret_is_kept_private_and_stable(tmp_path: Path):
    first = config.instance_secret(str(tmp_path), "secret_key")
    assert config.instance_secret(str(tmp_path), "secret_key") == first and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_secret_from_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert config.load(str(tmp_path))["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()
