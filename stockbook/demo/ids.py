"""Check digits for plausible Chinese identifiers: 统一社会信用代码 (GB 32100-2015) and EAN-13 barcodes."""

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def org_code(body8: str) -> str:
    """组织机构代码 (GB 11714): 8 characters and a check character."""
    assert len(body8) == 8 and all(ch in _USCC_CHARS for ch in body8), body8
    s = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body8, _ORG_WEIGHTS))
    c = 11 - s % 11
    return body8 + ("X" if c == 10 else "0" if c == 11 else str(c))


def uscc(area: str, body8: str, kind: str = "91") -> str:
    """统一社会信用代码: 登记管理部门+机构类别 (91 = 工商/企业), 6-digit 行政区划码, 组织机构代码, check."""
    s17 = kind + area + org_code(body8)
    assert len(s17) == 17, s17
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(s17, _USCC_WEIGHTS))
    return s17 + _USCC_CHARS[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code):
        return False
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS))
    return code[17] == _USCC_CHARS[(31 - total % 31) % 31]


def ean13(body12: str) -> str:
    s = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - s % 10) % 10)
