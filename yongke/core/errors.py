"""The one domain error type: a stable machine code, a message for people, and detail."""

from __future__ import annotations

from typing import Any


class YongkeError(Exception):
    """An error a user can act on.

    `code` is stable and machine-readable; `message` is Chinese first (an English gloss may
    follow after " / "); `detail` names the field, the rule and the offending value.
    """

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = detail if detail is not None else {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class BadInput(YongkeError):
    code = "bad_input"


class NotFound(YongkeError):
    code = "not_found"
    status = 404


class PermissionDenied(YongkeError):
    code = "permission_denied"
    status = 403


class Conflict(YongkeError):
    code = "conflict"
    status = 409


class Refused(YongkeError):
    """A well-formed request the rules refuse (deadline passed, not eligible, limit reached)."""

    code = "refused"
    status = 422


def voucher_used(voucher: str) -> Conflict:
    """A voucher number already recorded: each is used once across the plan's payments and
    receipts (a project's tranches and recoveries, a 后补助 claim's 拨付)."""
    return Conflict(
        f"voucher: 凭证号 {voucher} 已登记过（拨款或退回）/ this voucher is already recorded",
        code="voucher_used",
        detail={"field": "voucher", "voucher": voucher},
    )
