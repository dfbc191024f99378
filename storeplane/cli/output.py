"""Printing results for people (aligned tables) or for scripts (`--json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID


def _plain(value: Any) -> Any:
    if isinstance(value, (UUID, datetime)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    json.dump(_plain(value), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    cells = [[str(_plain(row.get(c)) if row.get(c) is not None else "-") for c in columns]
             for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def print_record(record: Mapping[str, Any]) -> None:
    width = max(len(k) for k in record)
    for key, value in record.items():
        print(f"{key.ljust(width)}  {_plain(value) if value is not None else '-'}")
