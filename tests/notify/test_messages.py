"""The app's own zh_Hans catalog: compiled, complete for the UI, and not overridden by the project catalog
(LOCALE_PATHS wins over app catalogs, so a msgid both translate differently would show the project's)."""
import gettext
from pathlib import Path

import stockbook
from stockbook.notify import service

ROOT = Path(stockbook.__file__).parent
MINE = ROOT / "notify/locale/zh_Hans/LC_MESSAGES"


def _catalog(path):
    with open(path, "rb") as f:
        return gettext.GNUTranslations(f)._catalog


def _po_entries(text):
    """{msgid or (msgid, plural) with its context: msgstr} of a .po file written one string per line."""
    import ast

    entries, cur = {}, {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if cur.get("msgid"):
                key = cur["msgid"] if "msgctxt" not in cur else f"{cur['msgctxt']}\x04{cur['msgid']}"
                key = (key, 0) if "msgid_plural" in cur else key
                entries[key] = cur.get("msgstr", cur.get("msgstr[0]"))
            cur = {}
        elif not line.startswith("#") and " " in line and not line.startswith('"'):
            word, value = line.split(" ", 1)
            cur[word] = ast.literal_eval(value)
    return entries


def test_catalog_is_compiled_from_the_po():
    po = _po_entries((MINE / "django.po").read_text())
    mo = {k: v for k, v in _catalog(MINE / "django.mo").items() if k}
    assert po == mo


def test_no_msgid_is_translated_differently_by_the_project_catalog():
    shared = _catalog(ROOT / "locale/zh_Hans/LC_MESSAGES/django.mo")
    clashes = {k: (shared[k], v) for k, v in _catalog(MINE / "django.mo").items() if k and k in shared and shared[k] != v}
    assert clashes == {}


def test_errors_read_in_chinese(db):
    from stockbook.core.errors import DocError

    try:
        service.validate_channel("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=a", True, "")
    except DocError as e:
        assert (e.code, e.field) == ("invalid_channel", "secret")
        assert e.message.startswith("已启用加签")
    else:
        raise AssertionError("no error")
