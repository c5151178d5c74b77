"""Jobs on huey: the backup task's logic (immediate mode), the SQLite backend with a real worker process,
the Redis backend, and the CLI (run-once, list, worker's bad input)."""
import io
import json
import os
import signal
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path

import pytest

from stockbook.backup import engines, service
from stockbook.cli import main
from stockbook.jobs import queue, tasks
from tests.backup.conftest import DB

REDIS_URL = "redis://127.0.0.1:6379/15"


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def test_schedules_are_cron_text_in_local_time():
    every_night = queue.cron("30 2 * * *")
    assert every_night(datetime(2026, 1, 5, 2, 30)) and not every_night(datetime(2026, 1, 5, 2, 31))
    assert queue.cron("off") is None and queue.cron("") is None
    for bad in ("61 * * * *", "1 2 3", "a b c d e"):
        with pytest.raises(ValueError):
            queue.cron(bad)
    assert queue.huey.utc is False  # crontab is read in settings.TIME_ZONE, not UTC
    registry = queue.discover()
    name = "stockbook.jobs.tasks.scheduled_backup"
    assert queue.schedules[name] == tasks.SCHEDULE == "30 2 * * *"  # the default: 02:30 every day
    assert registry[name]().validate_datetime(datetime(2026, 3, 1, 2, 30))
    assert not registry[name]().validate_datetime(datetime(2026, 3, 1, 3, 30))
    assert "stockbook.jobs.tasks.backup" in registry


def test_storage_comes_from_the_url(tmp_path):
    assert queue.storage_for(f"sqlite:///{tmp_path}/h.db") == (queue.LazySqliteStorage, {"filename": f"{tmp_path}/h.db"})
    assert queue.storage_for("redis://10.0.0.1:6379/0")[0].__name__ == "RedisStorage"
    with pytest.raises(ValueError, match="must start with"):
        queue.storage_for("amqp://x")
    queue.configure(f"sqlite:///{tmp_path}/sub/h.db")
    assert not (tmp_path / "sub").exists()  # nothing is created before the queue is used
    queue.huey.enqueue(queue.find("backup")())
    assert queue.huey.pending_count() == 1 and (tmp_path / "sub" / "h.db").exists()
    assert queue.describe_url("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"


@DB
def test_backup_task_rotates_and_copies_off_site(tmp_path):
    queue.huey.immediate = True
    local, off = tmp_path / "local", tmp_path / "off"
    results = [tasks.backup(dest=str(local), keep=2, offsite=str(off))() for _ in range(3)]
    assert [Path(r["file"]).parent for r in results] == [local] * 3
    kept = [b.path.name for b in service.list_backups(local)]
    assert kept == [Path(r["file"]).name for r in results[1:]]
    assert [b.path.name for b in service.list_backups(off)] == kept
    for r in results[1:]:
        assert service.load(r["offsite"]).manifest["sha256"] == r["sha256"]
    assert results[2]["removed"] == [results[0]["file"], str(off / Path(results[0]["file"]).name)]


@DB
def test_sqlite_backend_with_a_real_worker_process(tmp_path):
    """Enqueue here into a SQLite queue file; `stockbook jobs worker` in another process runs it against
    the test database (SQLite's in-memory one is first copied to a file, already migrated)."""
    from django.db import connection

    sd, huey_db = connection.settings_dict, tmp_path / "huey.db"
    if engines.kind_of(sd) == "sqlite":
        engines.sqlite_backup(sd, tmp_path / "book.gz")
        engines.sqlite_unpack(tmp_path / "book.gz", tmp_path / "book.db")
        db_url, label = f"sqlite:///{tmp_path / 'book.db'}", "book"
    else:
        db_url, label = engines.pg_url(sd, sd["NAME"]), engines.label_of(sd)
    queue.configure(f"sqlite:///{huey_db}")
    result = tasks.backup(dest=str(tmp_path / "b"), keep="2")
    assert queue.huey.pending_count() == 1

    env = dict(os.environ, STOCKBOOK_HUEY_URL=f"sqlite:///{huey_db}", STOCKBOOK_NOTIFY_SCHEDULE="off",
               STOCKBOOK_APPROVAL_ESCALATE_SCHEDULE="off")
    worker = subprocess.Popen([sys.executable, "-m", "stockbook.cli", "--db", db_url, "jobs", "worker",
                               "--workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        summary = result.get(blocking=True, timeout=90)
    finally:
        worker.send_signal(signal.SIGINT)
        log, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, log
    assert "job worker on sqlite:///" in log and "Executing stockbook.jobs.tasks.backup" in log
    backup = service.load(summary["file"])
    assert backup.manifest["db"]["kind"] == engines.kind_of(sd) and backup.manifest["db"]["name"] == label
    assert backup.manifest["counts"]["django_migrations"] > 0
    assert queue.huey.pending_count() == 0


def redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (`make services` starts it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379 (`make services` starts it)")


@DB
def test_redis_backend_runs_the_backup_task_from_the_queue(tmp_path):
    import redis

    redis_or_skip()
    queue.configure(REDIS_URL)
    queue.huey.flush()
    try:
        result = tasks.backup(dest=str(tmp_path / "b"), keep=1)
        assert queue.huey.pending_count() == 1
        assert redis.Redis.from_url(REDIS_URL).exists("huey.redis.stockbook")  # really in Redis
        task = queue.huey.dequeue()
        assert task.name == "backup"
        queue.huey.execute(task)
        summary = result.get()
        assert service.load(summary["file"]).manifest["sha256"] == summary["sha256"]
        assert queue.huey.pending_count() == 0
    finally:
        queue.huey.flush()


@DB
def test_run_once_and_list_from_the_command_line(tmp_path):
    rc, out, err = cli("jobs", "run-once", "backup", "--arg", f"dest={tmp_path / 'b'}", "--arg", "keep=1")
    assert rc == 0, err
    assert service.load(json.loads(out)["file"])
    rc, out, err = cli("jobs", "run-once", "deliver_notifications_now")  # nothing due: nothing sent
    assert rc == 0 and json.loads(out)["sent"] == 0, err
    rc, out, _ = cli("jobs", "list")
    assert rc == 0 and "queue: memory://" in out
    assert "stockbook.jobs.tasks.deliver_notifications" in out and "stockbook.approvals.tasks.escalate_overdue_approvals" in out
    assert any(line.split() == ["stockbook.jobs.tasks.scheduled_backup", "30", "2", "*", "*", "*"] for line in out.splitlines())


@pytest.mark.django_db
def test_bad_input_is_refused_without_a_traceback(monkeypatch, tmp_path):
    rc, _, err = cli("jobs", "run-once", "no_such_task")
    assert rc == 2 and "no task 'no_such_task'" in err and "stockbook.jobs.tasks.backup" in err
    rc, _, err = cli("jobs", "run-once", "backup", "--arg", "oops")
    assert rc == 2 and "KEY=VALUE" in err
    rc, _, err = cli("jobs", "worker", "--workers", "0")
    assert rc == 2 and "at least 1" in err
    monkeypatch.setenv("STOCKBOOK_HUEY_URL", "amqp://127.0.0.1")
    rc, _, err = cli("jobs", "list")
    assert rc == 2 and "STOCKBOOK_HUEY_URL must start with" in err
    rc, _, err = cli("jobs", "run-once", "backup", "--arg", f"dest={tmp_path}", "--arg", "keep=0")
    assert rc == 2 and "Traceback" not in err
