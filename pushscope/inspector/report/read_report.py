"""A JSON report (`pushscope.report/1`) read back, for `analyze --baseline` and `diff`.

The report is walked with `JsonStream`: its exchanges, the bulk of it, are decoded one at a
time and dropped, so a report of a large capture is read in little memory. Only the summary
and the findings are kept, each field checked: a report is input like any other.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.readers.base import sniff
from pushscope.inspector.readers.jsonstream import JsonStream, JsonStreamError
from pushscope.inspector.report import SCHEMA
from pushscope.inspector.report.compare import Recording, is_number, totals

_SCHEMA_FIRST = re.compile(rb'\{\s*"schema"\s*:')
_KNOWN = frozenset({"generator", "sources", "summary"})
_POLLING_FIGURES = ("requests_per_hour", "bytes_per_hour", "staleness_mean_s", "staleness_worst_s")


class ReportError(ValueError):
    """An unusable report; the message names the file and what is wrong with it."""


class _Invalid(ValueError):
    pass


def looks_like_report(path: Path) -> bool:
    """Is this a pushscope JSON report rather than a capture? Told from its first bytes: a
    JSON object (not the addon's feed) that starts with `"schema"` or names the report schema.
    A file that cannot be read is not one: the capture reader then says what is wrong."""
    try:
        with open(path, "rb") as fp:
            head = fp.read(1 << 12)
    except OSError:
        return False
    if sniff(head[:64]) != "har":  # what sniff calls any other JSON object
        return False
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return _SCHEMA_FIRST.match(text) is not None or b'"pushscope.report/' in head


def read_report(path: Path) -> Recording:
    """The report's findings and totals. Raises ReportError, one line naming the file."""
    try:
        fp = open(path, "rb")  # noqa: SIM115 - closed below, errors told apart from reading
    except OSError as e:
        raise ReportError(f"{path}: cannot open: {e.strerror or e}") from None
    with fp:
        try:
            return _read(JsonStream(fp), str(path))
        except JsonStreamError as e:
            raise ReportError(
                f"{path}: not a usable report: invalid or truncated JSON: {e}"
            ) from None
        except _Invalid as e:
            raise ReportError(f"{path}: {e}") from None
        except OSError as e:
            raise ReportError(f"{path}: cannot read: {e.strerror or e}") from None


def _read(stream: JsonStream, path: str) -> Recording:
    if stream.peek() != "{":
        raise _Invalid(_not_a_report("it is not a JSON object"))
    schema: Any = None
    summary: Any = None
    findings: list[Finding] | None = None
    for key in stream.members():
        if key == "schema":
            schema = stream.value()
            _check_schema(schema)
        elif key == "exchanges":
            if stream.peek() != "[":
                raise _Invalid("not a usable report: 'exchanges' is not a list")
            for _ in stream.items():  # one at a time, each dropped: only the count matters
                pass
        elif key == "findings":
            if stream.peek() != "[":
                raise _Invalid("not a usable report: 'findings' is not a list")
            findings = [_finding(value, i) for i, value in enumerate(stream.items())]
        elif key in _KNOWN:
            value = stream.value()
            if key == "summary":
                summary = value
        elif schema is None:
            raise _Invalid(_not_a_report(f"{key!r} comes before any 'schema'"))
        else:
            stream.value()  # a field of a later version of the schema
    if schema is None:
        raise _Invalid(_not_a_report("it has no 'schema'"))
    if findings is None:
        raise _Invalid("not a usable report: it has no 'findings'")
    exchanges, protocols = _summary(summary)
    return Recording(path, "report", SCHEMA, findings, totals(exchanges, protocols, findings))


def _not_a_report(why: str) -> str:
    return (
        f"not a pushscope report: {why} (expected the JSON of `pushscope analyze --format json`,"
        f" schema {SCHEMA})"
    )


def _check_schema(schema: Any) -> None:
    if schema == SCHEMA:
        return
    if isinstance(schema, str) and schema.startswith(SCHEMA.split("/")[0] + "/"):
        raise _Invalid(f"report schema {schema!r} is not supported (this pushscope reads {SCHEMA})")
    raise _Invalid(_not_a_report(f"its schema is {schema!r}"))


def _summary(summary: Any) -> tuple[int, dict[str, int]]:
    if not isinstance(summary, dict):
        raise _Invalid("not a usable report: 'summary' is missing or not an object")
    exchanges: Any = summary.get("exchanges")
    protocols: Any = summary.get("protocols")
    if not _count(exchanges):
        raise _Invalid("not a usable report: 'summary.exchanges' is not a count")
    if not isinstance(protocols, dict) or not all(_count(n) for n in protocols.values()):
        raise _Invalid("not a usable report: 'summary.protocols' is not an object of counts")
    return exchanges, protocols


def _finding(value: Any, index: int) -> Finding:
    """A report's finding as the `Finding` it was written from (`Finding.to_dict` reversed)."""
    if not isinstance(value, dict):
        raise _Invalid(f"finding {index}: not an object")
    where = f"finding {index}"
    kind = _field(value, "kind", str, where, required=True)
    where = f"finding {index} ({kind})"
    try:
        severity = Severity.parse(_field(value, "severity", str, where, required=True))
    except ValueError as e:
        raise _Invalid(f"{where}: {e}") from None
    impact = _field(value, "impact", dict, where)
    for name in _POLLING_FIGURES:
        if impact is not None and name in impact and not is_number(impact[name]):
            raise _Invalid(f"{where}: 'impact.{name}' is not a number")
    return Finding(
        kind=kind,
        severity=severity,
        endpoint=_field(value, "endpoint", str, where, required=True),
        client=_field(value, "client", str, where),
        exchanges=_strings(value, "exchanges", where),
        stats=_field(value, "stats", dict, where) or {},
        recommendation=_field(value, "recommendation", str, where),
        rationale=_field(value, "rationale", str, where) or "",
        impact=impact,
        evidence=_strings(value, "evidence", where),
        id=_field(value, "id", str, where) or "",
    )


def _field(
    record: dict[str, Any], name: str, kind: type, where: str, required: bool = False
) -> Any:
    value = record.get(name)
    if value is None:
        if required:
            raise _Invalid(f"{where}: '{name}' is missing")
        return None
    if not isinstance(value, kind):
        raise _Invalid(f"{where}: '{name}' is a {type(value).__name__}, not a {kind.__name__}")
    return value


def _strings(record: dict[str, Any], name: str, where: str) -> list[str]:
    values = _field(record, name, list, where) or []
    if not all(isinstance(v, str) for v in values):
        raise _Invalid(f"{where}: '{name}' is not a list of strings")
    return values


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
