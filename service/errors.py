"""The one error tree. Every error a user can cause or meet is a TactfulError; the API renders
each with its status in one body shape, the CLI prints its message and exits 2.

    TactfulError
    ├── InputError          (422) the request or file is not usable as given
    │   ├── TooLarge        (413) over a configured size limit
    │   └── Unsupported     (422) a language tactful does not review
    ├── Unauthorized        (401) no API key, or not a valid one
    ├── Forbidden           (403) the key lacks the scope
    ├── NotFound            (404)
    ├── Conflict            (409) the resource is not in a state that allows this
    ├── RateLimited         (429) over the key's limits (Retry-After says when to come back)
    ├── RubricError         (500) a rule or policy file is invalid (path and reason)
    ├── ModelError          (502) a model answered, but not with a usable draft
    ├── ModelUnavailable    (503) no model could be reached
    └── HelpdeskError       (502) a helpdesk refused a call (a bad token, no such ticket): not retried
        └── HelpdeskUnavailable (503) a helpdesk did not answer, or asked to wait (429, 5xx, a
                                timeout): retried with backoff (Retry-After says how long)
"""

from __future__ import annotations

__all__ = ["first_problem", "TactfulError", "InputError", "TooLarge", "Unsupported", "Unauthorized", "Forbidden", "NotFound", "Conflict",
           "RateLimited", "RubricError", "ModelError", "ModelUnavailable", "HelpdeskError",
           "HelpdeskUnavailable"]


class TactfulError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def headers(self) -> dict[str, str] | None:
        return None

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"ok": False, "status": self.status, "error": error}


class InputError(TactfulError):
    status = 422
    code = "invalid_input"


class TooLarge(InputError):
    status = 413
    code = "too_large"


class Unsupported(InputError):
    code = "unsupported_language"


class Unauthorized(TactfulError):
    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(TactfulError):
    status = 403
    code = "forbidden"


class BadHost(TactfulError):
    """A Host header that is not loopback, in loopback mode (DNS rebinding)."""
    status = 400
    code = "bad_host"


class CrossOrigin(Forbidden):
    """A state-changing request from another site, in loopback mode."""
    code = "cross_origin"


class RateLimited(TactfulError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class NotFound(TactfulError):
    status = 404
    code = "not_found"


class Conflict(TactfulError):
    status = 409
    code = "conflict"


class RubricError(TactfulError):
    status = 500
    code = "rubric_invalid"


class ModelError(TactfulError):
    status = 502
    code = "model_bad_output"


class ModelUnavailable(TactfulError):
    status = 503
    code = "model_unavailable"


class HelpdeskError(TactfulError):
    """A helpdesk's answer to a connector's call that retrying will not change (401, 403, 404,
    422...). `status_code` is the helpdesk's HTTP status (None: no answer at all)."""

    status = 502
    code = "helpdesk_error"

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class HelpdeskUnavailable(HelpdeskError):
    """A helpdesk call worth retrying: 429, 5xx, a timeout or a refused connection.
    `retry_after`: the seconds the helpdesk asked for (None when it did not say)."""

    status = 503
    code = "helpdesk_unavailable"

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


def first_problem(error) -> str:
    """The first problem of a pydantic ValidationError as "where.in.the.data: what is wrong"."""
    first = error.errors()[0]
    where = ".".join(str(x) for x in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
