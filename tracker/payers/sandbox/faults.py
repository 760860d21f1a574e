"""Faults the sandbox injects on demand (`POST /_admin/faults`), each for the next `count` calls.

- `5xx`: answer `status` (500 by default) without looking at the request.
- `429`: answer 429 with `Retry-After` (`retry_after` seconds, or as an HTTP date).
- `timeout`: record and adjudicate the request, then hold the answer `delay` seconds — past the
  client's read timeout — so the client cannot know the outcome.
- `malformed`: record and adjudicate, then answer 200 with a body that is not JSON.
- `drop_after_receive`: record and adjudicate, then drop the connection mid-answer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BEFORE_PROCESSING = ("5xx", "429")


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["5xx", "timeout", "429", "malformed", "drop_after_receive"]
    count: int = Field(default=1, ge=1)
    operation: Literal["$submit", "$inquire", "any"] = "$submit"
    status: int = Field(default=500, ge=500, le=599)
    retry_after: float | None = Field(default=None, ge=0)
    retry_after_as_date: bool = False
    delay: float = Field(default=2.0, ge=0)

    def applies_to(self, operation: str) -> bool:
        return self.operation in ("any", operation)
