"""``stockbook demo --users-only``: just the users and their groups, no company."""
import io


def test_users_only(db):
    from django.contrib.auth.models import User

    from stockbook.demo.load import load_demo
    from stockbook.masterdata.models import Company

    out = io.StringIO()
    load_demo(users_only=True, out=out)
    load_demo(users_only=True, out=out)
    assert User.objects.count() == 9 and Company.current() is None
    assert "manager_east" in out.getvalue()
