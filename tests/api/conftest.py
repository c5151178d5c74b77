import json

import pytest
from django.test import Client


class Api:
    """A test client speaking JSON to /api/ with a bearer token (or a session, or nothing)."""

    def __init__(self, client, token=None):
        self.c = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _body(self, body):
        if isinstance(body, (bytes, str)):
            return body
        return json.dumps(body, ensure_ascii=False)

    def get(self, path, **params):
        return self.c.get("/api" + path, params, **self.headers)

    def post(self, path, body=None, headers=None, **kw):
        return self.c.post("/api" + path, self._body(body if body is not None else b""), content_type="application/json",
                           **self.headers, **(headers or {}), **kw)

    def patch(self, path, body, headers=None):
        return self.c.patch("/api" + path, self._body(body), content_type="application/json", **self.headers,
                            **(headers or {}))

    def delete(self, path, headers=None):
        return self.c.delete("/api" + path, **self.headers, **(headers or {}))


@pytest.fixture
def user(db):
    from django.contrib.auth.models import User

    u = User.objects.create_user("clerk", password="pw-secret-1")
    from stockbook.access.roles import ensure_roles

    u.groups.add(*[g for g in ensure_roles() if g.name == "系统管理员"])  # every right, not a superuser
    return u


@pytest.fixture
def admin_user(db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser("boss", password="pw-secret-2")


@pytest.fixture
def token(user):
    from stockbook.users.models import ApiToken

    return ApiToken.issue(user, "tests")[1]


@pytest.fixture
def api(token):
    return Api(Client(), token)


@pytest.fixture
def admin_api(admin_user):
    from stockbook.users.models import ApiToken

    return Api(Client(), ApiToken.issue(admin_user, "tests")[1])


@pytest.fixture
def anon():
    return Api(Client())


def counts():
    from stockbook.ledger.models import Voucher, VoucherLine
    from stockbook.posting.models import Document, DocumentLine

    return (Document.objects.count(), DocumentLine.objects.count(), Voucher.objects.count(), VoucherLine.objects.count())
