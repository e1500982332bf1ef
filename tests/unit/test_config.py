"""Settings derived from the environment."""
import multiprocessing
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


def _first_start(instance_path: str, barrier, results) -> None:
    """One process of a first start (a gunicorn worker, the notification worker): its keys."""
    from app.notify import push
    barrier.wait()
    secret = config.instance_secret(instance_path, "secret_key")
    results.put((secret, push.application_server_key(push.load_vapid(instance_path, None))))


def test_processes_starting_at_once_on_one_instance_folder_share_its_generated_keys(tmp_path):
    # compose's first start: app workers and the notification worker generate the VAPID key into
    # one shared volume at the same moment. They used to end up with different keys (pushes signed
    # by the worker did not match the key phones subscribed with), or read a half-written file.
    context = multiprocessing.get_context("fork")
    for attempt in range(3):
        folder = tmp_path / str(attempt)
        barrier, results = context.Barrier(4), context.Queue()
        processes = [context.Process(target=_first_start, args=(str(folder), barrier, results)) for _ in range(4)]
        for process in processes:
            process.start()
        keys = {results.get(timeout=30) for _ in processes}
        for process in processes:
            process.join(30)
        assert len(keys) == 1 and all(p.exitcode == 0 for p in processes)
        assert sorted(f.name for f in folder.iterdir()) == ["secret_key", "vapid_private.pem"]  # no leftovers
        assert (folder / "vapid_private.pem").stat().st_mode & 0o077 == 0
