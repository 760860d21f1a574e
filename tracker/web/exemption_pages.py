"""The board's exemptions page (/exemptions, billing and admin): the prior-authorization
exemptions the practice holds, a form to record a new letter, and each provider's approval rate
per program and service over the review period — who qualifies and who is close."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tracker.authorizations.exemptions import add_exemption, approval_rates, held
from tracker.errors import InputError
from tracker.rules.policy_files import policies_in_force
from tracker.store.users import User
from tracker.web.auditing import audit
from tracker.web.pages import render
from tracker.web.signing_in import RoleNeeded, check_form_token

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Seeing and recording exemptions"))]
FormText = Annotated[str, Form()]
Optional = Annotated[str, Form()]


def _page(request: Request, user: User, error: str | None = None,
          status_code: int = 200) -> Response:
    board = request.app.state.board
    year = board.today().year
    programs = sorted((payer, program.id, program.name)
                      for payer, policy in policies_in_force().items()
                      for program in policy.programs.values())
    return render(request, "exemptions.html", user, status_code=status_code,
                  exemptions=held(board.engine), rates=approval_rates(board.engine, year),
                  year=year, programs=programs, error=error)


@router.get("/exemptions")
def exemptions_page(request: Request, user: Billing) -> Response:
    return _page(request, user)


@router.post("/exemptions")
def record_exemption(request: Request, user: Billing, token: FormText, program: FormText,
                     starts: FormText, ends: FormText, group: Optional = "",
                     codes: Optional = "", provider_npi: Optional = "",
                     reference: Optional = "") -> Response:
    check_form_token(request, token)
    payer, _, program_id = program.partition("/")
    try:
        add_exemption(request.app.state.board.engine, payer=payer, program=program_id,
                      starts=starts, ends=ends, actor=user.name, group=group, codes=codes,
                      provider_npi=provider_npi, reference=reference)
    except InputError as err:
        return _page(request, user, error=str(err), status_code=400)
    audit(request, user, "exemption_recorded", f"program:{program}"[:100], group=group,
          codes=codes, provider_npi=provider_npi, starts=starts, ends=ends, reference=reference)
    return RedirectResponse("/exemptions", status_code=303)
