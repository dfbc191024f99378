"""Kubernetes resource quantities as numbers, for summing what a chart asks of a quota."""

from __future__ import annotations

from fractions import Fraction

_BINARY: dict[str, int] = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL: dict[str, Fraction] = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
                                 **{s: Fraction(1000**i) for i, s in enumerate("kMGTPE", start=1)}}


def parse_quantity(value: str | int | float) -> Fraction:
    """'250m' -> 1/4, '1Gi' -> 1073741824, 2 -> 2."""
    text = str(value).strip()
    for suffix in sorted((*_BINARY, *_DECIMAL), key=len, reverse=True):
        if text.endswith(suffix):
            number = text[: -len(suffix)]
            factor = Fraction(_BINARY[suffix]) if suffix in _BINARY else _DECIMAL[suffix]
            return Fraction(number) * factor
    return Fraction(text)
