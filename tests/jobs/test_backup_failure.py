"""A failing scheduled backup is told to the people who run the system, and still fails (the worker
retries and logs it)."""
import pytest


def test_failed_scheduled_backup_notifies_admins(db, monkeypatch):
    from stockbook.jobs import tasks
    from stockbook.notify.models import Notification
    from tests.roles import role_user

    role_user("ops", "系统管理员")
    role_user("clerk2", "仓库")

    def broken(*a, **kw):
        raise OSError("No space left on device")

    monkeypatch.setattr(tasks, "run_backup", broken)
    fn = getattr(tasks.scheduled_backup, "call_local", tasks.scheduled_backup)
    with pytest.raises(OSError):
        fn()
    got = Notification.objects.filter(title="定时备份失败")
    assert [n.user.username for n in got] == ["ops"]
    assert "No space left" in got[0].body
