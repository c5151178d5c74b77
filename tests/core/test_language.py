def test_chinese_by_default_even_for_english_browsers(client):
    r = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert r["Content-Language"] == "zh-hans"
    assert "登录" in r.content.decode()


def test_english_when_chosen(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    r = client.get("/login/")
    assert r["Content-Language"] == "en"
    assert "登录" not in r.content.decode()
