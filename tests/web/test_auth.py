"""Login, logout, lockout (django-axes) and the language switch."""
import pytest

PAGES = ["/", "/vouchers/", "/vouchers/new/", "/items/", "/accounts/", "/reports/trial-balance/", "/periods/", "/company/"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_login(client, db, url):
    r = client.get(url)
    assert r.status_code == 302
    assert r["Location"].startswith("/login/?next=")


def test_login_page_is_chinese(client, db):
    r = client.get("/login/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "登录" in html and "用户名" in html and "密码" in html


def test_login_and_logout(client, user):
    r = client.post("/login/", {"username": "clerk", "password": "s3cret-pass!"})
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/").status_code == 200
    r = client.post("/logout/")
    assert r.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_error(client, user):
    r = client.post("/login/", {"username": "clerk", "password": "nope"})
    assert r.status_code == 200
    assert "请输入一个正确的" in r.content.decode()  # Django's own zh-hans message


def test_lockout_after_five_failures(client, user):
    for _ in range(5):
        client.post("/login/", {"username": "clerk", "password": "wrong"})
    r = client.post("/login/", {"username": "clerk", "password": "s3cret-pass!"})
    assert r.status_code == 429
    html = r.content.decode()
    assert "账户已锁定" in html and "登录失败次数过多" in html
    assert client.get("/").status_code == 302  # still not logged in


def test_passwords_are_argon2(user):
    assert user.password.startswith(("argon2", "md5"))  # md5 only under STOCKBOOK_FAST_HASHER in tests
    from django.contrib.auth.hashers import get_hasher

    assert get_hasher("argon2").algorithm == "argon2"


def test_english_switch(web, books):
    r = web.get("/")
    assert "发生额及余额表" in r.content.decode()
    r = web.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    html = web.get("/").content.decode()
    assert "Trial balance" in html and "发生额及余额表" not in html
    web.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "发生额及余额表" in web.get("/").content.decode()
