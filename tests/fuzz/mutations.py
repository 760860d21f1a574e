"""Hypothesis strategies that take a good document and break it the ways real input breaks:
a value swapped for any JSON, a key dropped, a node buried deep, text that is not a date."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
CHECKS = sorted(p for p in (REPO / "samples" / "checks").glob("*.input.json"))
SEEDS: list[Any] = [json.loads(p.read_text(encoding="utf-8")) for p in CHECKS]

ODD_TEXT = st.sampled_from(["", " ", "2026-W01-1", "20260101", "2026-02-30", "9999-99-99",
                            "\x00", "é" * 3, "=1+1", "-1", "1e309", "NaN", "null", "[]", "{}",
                            "x" * 5000])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                    ODD_TEXT)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document (the root included)."""
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def _drop(document: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return document
    target = document
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return document


def _bury(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any] | None = None) -> Any:
    """One seed document with one to three mutations."""
    document = copy.deepcopy(draw(st.sampled_from(seeds or SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = paths(document)
        place = draw(st.sampled_from(places))
        how = draw(st.sampled_from(["replace", "replace", "drop", "bury", "odd text"]))
        if how == "replace":
            document = _replace(document, place, draw(ANY_JSON))
        elif how == "drop":
            document = _drop(document, place)
        elif how == "bury":
            depth = draw(st.sampled_from([2, 63, 64, 65, 200, 1500]))
            document = _replace(document, place, _bury({"x": 1}, depth))
        else:
            document = _replace(document, place, draw(ODD_TEXT))
    return document


def as_text(document: Any) -> str:
    """JSON text; a document nested past what json.dumps can write is written by hand."""
    try:
        return json.dumps(document)
    except RecursionError:
        return "[" * 3000 + "]" * 3000
