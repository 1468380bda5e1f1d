"""Table schemas of the data contracts and one validating loader for CSV and Parquet.

Every table is validated and converted once, here; code behind the loader trusts its inputs.
Parsed forms: ids and text are ``str``; timestamps are ``datetime64[ns, UTC]``; list cells are
Python lists; the catalog's ``skills`` cell (``negotiation:0.30|listening:0.10``) becomes two list
columns, ``skills`` (ids) and ``gains`` (floats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pathfinder.data import columns as C
from pathfinder.errors import DataValidationError, ValidationIssue

__all__ = [
    "SCHEMAS",
    "Col",
    "TableSchema",
    "find_table",
    "read_table",
    "write_parquet",
    "write_table",
]

Kind = Literal["id", "text", "enum", "float", "int", "timestamp", "list", "gains", "uuid"]
MAX_ROWS_PER_ISSUE = 5
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Col:
    """One column of a table schema."""

    name: str
    kind: Kind
    nullable: bool = False
    optional: bool = False  # the column itself may be absent
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] | None = None

    def expected(self) -> str:
        if self.kind == "enum":
            return "one of " + ", ".join(repr(c) for c in self.choices or ())
        if self.kind in ("float", "int"):
            noun = "an integer" if self.kind == "int" else "a number"
            if self.lo is not None and self.hi is not None:
                return f"{noun} in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}]"
            if self.lo is not None:
                return f"{noun} {'>' if self.lo_open else '>='} {self.lo:g}"
            return noun
        return {
            "id": "a non-empty id",
            "text": "a non-empty text",
            "timestamp": "an ISO-8601 timestamp (e.g. 2025-03-01T09:30:00Z)",
            "list": "a '|'-separated list of ids (e.g. 'en|de')",
            "gains": "'|'-separated skill:gain pairs with gains in (0, 1] (e.g. 'negotiation:0.3')",
            "uuid": "a UUID (e.g. 0b9e3f0c-3c1e-4d59-9d53-1c9a3e8f1a22)",
        }[self.kind]


@dataclass(frozen=True)
class TableSchema:
    """A table of the data contract: its columns and primary key."""

    name: str
    columns: tuple[Col, ...]
    key: str | None = None


SCHEMAS: dict[str, TableSchema] = {
    "catalog": TableSchema(
        "catalog",
        (
            Col(C.ITEM_ID, "id"),
            Col(C.TITLE, "text"),
            Col(C.MODALITY, "enum", choices=C.MODALITIES),
            Col(C.SKILLS, "gains"),
            Col(C.LEVEL, "float", lo=0, hi=1),
            Col(C.DURATION_MIN, "float", lo=0, hi=10_000, lo_open=True),
            Col(C.LANGUAGES, "list"),
            Col(C.SCOPE, "id"),
            Col(C.PARTNER, "id"),
            Col(C.PREREQUISITES, "list", nullable=True),
            Col(C.CAPACITY_PER_WEEK, "int", nullable=True, optional=True, lo=0, hi=1_000_000),
            Col(C.ACTIVITY_ID, "text", nullable=True, optional=True),
        ),
        key=C.ITEM_ID,
    ),
    "learners": TableSchema(
        "learners",
        (
            Col(C.LEARNER_ID, "id"),
            Col(C.ROLE, "id"),
            Col(C.TEAM, "id"),
            Col(C.REGION, "id"),
            Col(C.LANGUAGE, "id"),
            Col(C.TIMEZONE, "id"),
            Col(C.JOINED_AT, "timestamp"),
        ),
        key=C.LEARNER_ID,
    ),
    "assessments": TableSchema(
        "assessments",
        (
            Col(C.LEARNER_ID, "id"),
            Col(C.SKILL_ID, "id"),
            Col(C.SCORE, "float", lo=0, hi=1),
            Col(C.ASSESSED_AT, "timestamp"),
            Col(C.METHOD, "enum", choices=C.METHODS),
        ),
    ),
    "events": TableSchema(
        "events",
        (
            Col(C.EVENT_ID, "uuid"),
            Col(C.LEARNER_ID, "id"),
            Col(C.ITEM_ID, "id"),
            Col(C.VERB, "enum", choices=C.VERBS),
            Col(C.TIMESTAMP, "timestamp"),
            Col(C.DURATION_S, "float", nullable=True, lo=0, hi=10_000_000),
            Col(C.SCORE, "float", nullable=True, lo=0, hi=1),
            Col(C.RATING, "float", nullable=True, lo=1, hi=5),
        ),
        key=C.EVENT_ID,
    ),
    "outcomes": TableSchema(
        "outcomes",
        (
            Col(C.TEAM, "id"),
            Col(C.KPI, "id"),
            Col(C.PERIOD, "id"),
            Col(C.VALUE, "float"),
        ),
    ),
}


def find_table(root: Path, name: str) -> Path | None:
    """The file holding table ``name`` in ``root`` (``.parquet`` preferred over ``.csv``)."""
    for ext in (".parquet", ".csv"):
        path = root / f"{name}{ext}"
        if path.exists():
            return path
    return None


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def _split_list(v: Any) -> list[str] | None:
    """A list cell: '|'-separated string or a Parquet list; None when malformed."""
    if _is_missing(v):
        return []
    if isinstance(v, str):
        parts = [p.strip() for p in v.split(C.LIST_SEPARATOR)]
    elif isinstance(v, list | tuple | np.ndarray):
        parts = [str(p).strip() for p in v]
    else:
        return None
    return parts if all(parts) else None


def _parse_gains(v: Any) -> tuple[list[str], list[float]] | None:
    parts = _split_list(v)
    if not parts:
        return None
    skills, gains = [], []
    for part in parts:
        skill, sep, gain = part.partition(C.GAIN_SEPARATOR)
        try:
            g = float(gain)
        except ValueError:
            return None
        if not sep or not skill or not 0 < g <= 1:
            return None
        skills.append(skill)
        gains.append(g)
    if len(set(skills)) != len(skills):
        return None
    return skills, gains


def _bad_rows(
    issues: list[ValidationIssue], file: str, col: Col, bad: np.ndarray, raw: pd.Series
) -> None:
    rows = np.flatnonzero(bad)
    for r in rows[:MAX_ROWS_PER_ISSUE]:
        issues.append(
            ValidationIssue(
                file, f"expected {col.expected()}, found {raw.iloc[r]!r}", int(r) + 1, col.name
            )
        )
    if len(rows) > MAX_ROWS_PER_ISSUE:
        issues.append(
            ValidationIssue(
                file,
                f"... {len(rows) - MAX_ROWS_PER_ISSUE} more rows with the same problem",
                column=col.name,
            )
        )


def _coerce(col: Col, raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse one column; returns (parsed, missing mask, malformed mask)."""
    is_text = pd.api.types.is_string_dtype(raw)
    kind = col.kind
    if kind in ("id", "text", "enum", "uuid") and is_text:
        text = raw.astype("string").str.strip()
        missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
        parsed = text.astype(object).where(~missing, None)
        if kind == "enum":
            bad = ~missing & ~text.isin(col.choices or ()).to_numpy(dtype=bool)
        elif kind == "uuid":
            bad = ~missing & ~text.str.fullmatch(_UUID.pattern).fillna(False).to_numpy(dtype=bool)
        else:
            bad = np.zeros(len(raw), dtype=bool)
        return parsed, missing, bad
    if is_text or raw.dtype == object:
        missing = raw.map(_is_missing).to_numpy(dtype=bool)
    else:
        missing = raw.isna().to_numpy()
    if kind in ("id", "text", "enum", "uuid"):  # a non-text column where text was expected
        parsed = raw.astype(object).where(~missing, None).map(lambda v: v if v is None else str(v))
        bad = ~missing if kind in ("enum", "uuid") else np.zeros(len(raw), dtype=bool)
        return parsed, missing, bad
    if kind in ("float", "int"):
        num = pd.to_numeric(raw.where(~missing, None), errors="coerce").astype("float64")
        bad = ~missing & num.isna().to_numpy()
        vals = num.to_numpy()
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(vals) | np.isnan(vals)
            if col.lo is not None:
                ok &= np.isnan(vals) | ((vals > col.lo) if col.lo_open else (vals >= col.lo))
            if col.hi is not None:
                ok &= np.isnan(vals) | (vals <= col.hi)
            if kind == "int":
                ok &= np.isnan(vals) | (vals == np.round(vals))
        return num, missing, bad | ~ok
    if kind == "timestamp":
        ts = pd.to_datetime(raw.where(~missing, None), utc=True, errors="coerce", format="ISO8601")
        bad = ~missing & ts.isna().to_numpy()
        return ts.astype("datetime64[ns, UTC]"), missing, bad
    if kind == "list":
        lists = raw.map(_split_list)
        bad = ~missing & lists.isna().to_numpy()
        return lists, missing, bad
    # gains
    pairs = raw.map(_parse_gains)
    bad = ~missing & pairs.isna().to_numpy()
    return pairs, missing, bad


def read_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read and validate one table file.

    Raises
    ------
    DataValidationError
        Naming the file, row, column, what was expected and what was found.
    """
    file = path.name
    try:
        if path.suffix == ".parquet":
            raw = pq.read_table(path).to_pandas()
        else:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as err:
        raise DataValidationError([ValidationIssue(file, f"cannot be read: {err}")]) from err
    issues: list[ValidationIssue] = []
    missing_cols = [c.name for c in schema.columns if not c.optional and c.name not in raw.columns]
    for name in missing_cols:
        issues.append(
            ValidationIssue(
                file,
                f"required column is missing (columns found: {list(raw.columns)})",
                column=name,
            )
        )
    if issues:
        raise DataValidationError(issues)
    out: dict[str, Any] = {}
    for col in schema.columns:
        if col.name not in raw.columns:
            continue
        parsed, missing, bad = _coerce(col, raw[col.name])
        if not col.nullable:
            _bad_rows(
                issues, file, Col(col.name, col.kind, choices=col.choices), missing, raw[col.name]
            )
        _bad_rows(issues, file, col, bad, raw[col.name])
        if col.kind == "gains":
            out[C.SKILLS] = parsed.map(lambda p: p[0] if p else [])
            out[C.GAINS] = parsed.map(lambda p: p[1] if p else [])
        else:
            out[col.name] = parsed
    if schema.key is not None and not issues:
        dup = out[schema.key].duplicated(keep="first").to_numpy()
        for r in np.flatnonzero(dup)[:MAX_ROWS_PER_ISSUE]:
            issues.append(
                ValidationIssue(
                    file,
                    f"duplicate {schema.key} {out[schema.key].iloc[r]!r}; ids must be unique",
                    int(r) + 1,
                    schema.key,
                )
            )
    if issues:
        raise DataValidationError(issues)
    return pd.DataFrame(out, index=pd.RangeIndex(len(raw)))


def _cell_to_text(v: Any) -> Any:
    return C.LIST_SEPARATOR.join(map(str, v)) if isinstance(v, list) else v


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as zstd Parquet; UTC timestamps stay timestamps (deterministic output)."""
    arrays = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            arrays[name] = pa.array(col.dt.tz_convert(None).to_numpy(), pa.timestamp("ns", "UTC"))
        else:
            arrays[name] = pa.Array.from_pandas(col)
    pq.write_table(pa.table(arrays), path, compression="zstd")


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write a parsed table back in the contract's form (``skills`` as skill:gain pairs).

    The format follows the suffix (``.csv`` or ``.parquet``); output is deterministic.
    """
    frame = df.copy()
    if C.GAINS in frame.columns:
        frame[C.SKILLS] = [
            [f"{s}{C.GAIN_SEPARATOR}{g:g}" for s, g in zip(ss, gg, strict=True)]
            for ss, gg in zip(frame[C.SKILLS], frame[C.GAINS], strict=True)
        ]
        frame = frame.drop(columns=[C.GAINS])
    if path.suffix == ".parquet":
        write_parquet(frame, path)
    else:
        for name in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[name]):
                frame[name] = frame[name].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif frame[name].dtype == object:
                frame[name] = frame[name].map(_cell_to_text)
        frame.to_csv(path, index=False, lineterminator="\n")
