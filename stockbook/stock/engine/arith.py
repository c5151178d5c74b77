"""Integer arithmetic of the costing engine: quantities in 1/10000 base units, money in 分.

``part(A, q, Q)`` is the contract's ``round(A × q / Q, 2)``: one exact ratio, rounded once, half-up.
"""
from fractions import Fraction


def rdiv(a: int, b: int) -> int:
    """a / b rounded half-up (away from zero), b > 0."""
    if b <= 0:
        raise ZeroDivisionError("rdiv by a non-positive number")
    if a >= 0:
        return (2 * a + b) // (2 * b)
    return -((-2 * a + b) // (2 * b))


def part(amount: int, q: int, total: int) -> int:
    """round(amount × q / total); exactly ``amount`` when q == total."""
    if q == total:
        return amount
    return rdiv(amount * q, total)


def rfrac(x: Fraction) -> int:
    """A Fraction of 分 rounded half-up to a whole 分."""
    return rdiv(x.numerator, x.denominator) if x.denominator > 0 else rdiv(-x.numerator, -x.denominator)
