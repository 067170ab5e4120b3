"""Schemathesis hooks for this API, loaded by `hooks = "test/fuzz/hooks.py"` in schemathesis.toml.

Two hooks.

`before_call`: a stateful step can follow a link Schemathesis inferred with a wildcard (such as
`$response.body#/data/*/purchaseId` from a page of ledger entries to `GET /v1/purchases/{id}`)
and pick a null among the matches (a grant has no purchase); Schemathesis 4.32 then sends the
path `/v1/purchases/None` and still counts the case as valid data, so the API's 400 for an id
that does not match the documented pattern was reported as ST202. The hook writes the value
Schemathesis sends ("None") into the case, which makes Schemathesis judge the case again against
the document: a value outside the parameter's pattern makes it negative data, as it is.

The check `future_instant_refusal` (its failures are reported as ST202, like the built-in)
narrows what schemathesis.toml loosens. Some operations refuse an instant after the present
with 400 `instant_in_future` (the balance `asOf`, a statement's `from` and `to`, the export's
`from` and `to`): the document says so, but a JSON Schema cannot compare a value with the
clock, so a generated "valid" instant may be in the future.
schemathesis.toml therefore lets `positive_data_acceptance` accept 400 on those operations only;
this check takes the rest of that 400 back: on an operation whose configuration accepts 400 for
valid data, a 400 to a generated valid request passes only when it is `instant_in_future` about an
instant the request sent and that instant is after the response's `Date`. Any other 400 there
(a schema the server reads differently from the document) is a failure, as everywhere else.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import parsedate_to_datetime

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData


def _parse_instant(text: str) -> datetime | None:
    try:
        # Python 3.11 reads RFC 3339 with Z and up to 6 fraction digits; cut longer fractions.
        head, dot, rest = text.partition(".")
        if dot:
            digits = len(rest) - len(rest.lstrip("0123456789"))
            rest = rest[: min(digits, 6)] + rest[digits:]
            text = f"{head}.{rest}"
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _sent_values(case) -> list[str]:
    values: list[str] = []
    for part in (case.query or {}, case.body if isinstance(case.body, dict) else {}):
        for value in part.values():
            if isinstance(value, str):
                values.append(value)
            elif isinstance(value, list):
                values.extend(v for v in value if isinstance(v, str))
    return values


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    params = case.path_parameters
    if isinstance(params, dict):
        for name, value in list(params.items()):
            if value is None:
                # What the URL carries anyway; the edit makes Schemathesis revalidate the case.
                params[name] = "None"


@schemathesis.check
def future_instant_refusal(ctx, response, case) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    allowed = [str(s) for s in (ctx.config.positive_data_acceptance.expected_statuses or [])]
    if "400" not in allowed:
        # Not loosened here: the built-in positive_data_acceptance already fails this 400.
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        problem = None
    code = problem.get("code") if isinstance(problem, dict) else None
    instant = problem.get("instant") if isinstance(problem, dict) else None
    date = response.headers.get("date") or response.headers.get("Date")
    if isinstance(date, list):
        date = date[0] if date else None
    reason = None
    if code != "instant_in_future":
        reason = f"code {code!r}, not 'instant_in_future'"
    elif not isinstance(instant, str) or instant not in _sent_values(case):
        reason = f"the problem's instant {instant!r} is not one the request sent"
    elif not date:
        reason = "the response has no Date header to compare the instant with"
    else:
        when = _parse_instant(instant)
        now = parsedate_to_datetime(date)
        if when is None:
            reason = f"the problem's instant {instant!r} is not an RFC 3339 instant"
        elif when <= now:
            reason = f"{instant} is not after the response's Date ({date})"
    if reason is None:
        return True
    # Reported as the built-in check reports a refused valid request (ST202).
    raise RejectedPositiveData(
        operation=case.operation.label,
        message=(
            "Valid data should have been accepted: on this operation 400 is expected only as"
            f" `instant_in_future` for an instant the request sent that is in the future; here: {reason}."
        ),
        status_code=400,
        allowed_statuses=allowed,
    )
