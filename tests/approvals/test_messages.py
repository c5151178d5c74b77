"""The app's zh_Hans catalog: compiled from its .po, complete for what the pages and messages use, and no
msgid translated differently by the project catalog or another app's (whichever wins would show)."""
import gettext
from pathlib import Path

import pytest

import stockbook

ROOT = Path(stockbook.__file__).parent
MINE = ROOT / "approvals/locale/zh_Hans/LC_MESSAGES"


def _catalog(path):
    with open(path, "rb") as f:
        return gettext.GNUTranslations(f)._catalog


def test_catalog_is_compiled_from_the_po():
    import subprocess

    out = subprocess.run(["msgfmt", "--check", "-o", "-", str(MINE / "django.po")], capture_output=True, check=True).stdout
    assert out == (MINE / "django.mo").read_bytes()


@pytest.mark.parametrize("other", ["locale", "notify/locale", "audit/locale"])
def test_no_msgid_is_translated_differently_elsewhere(other):
    path = ROOT / other / "zh_Hans/LC_MESSAGES/django.mo"
    if not path.exists():
        pytest.skip(f"{other} has no catalog")
    theirs = _catalog(path)
    clashes = {k: (theirs[k], v) for k, v in _catalog(MINE / "django.mo").items() if k and k in theirs and theirs[k] != v}
    assert clashes == {}


def test_every_translation_is_filled():
    assert all(v for k, v in _catalog(MINE / "django.mo").items())
    assert len(_catalog(MINE / "django.mo")) > 100


def test_error_codes_read_in_chinese():
    from stockbook.core.errors import ERROR_CODES, DocError

    for code in ("not_approver", "segregation_of_duties", "signature_invalid", "approval_closed", "approval_required"):
        assert code in ERROR_CODES and DocError(code).message[0] > "\u2e80"
