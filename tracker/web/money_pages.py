"""The board's money pages: the fee schedule (/fees: everyone reads, billing and admin edit) and
the charges to capture on performed sessions (/charges, billing and admin), priced from it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tracker.dates import parse_date
from tracker.money.capture import KIND_WORDS, missed_charges
from tracker.money.fee_schedule import (
    ANY_PAYER,
    Fee,
    FeeProblem,
    dollars,
    fee_code,
    load_fee_schedule,
    parse_amount,
    remove_fee,
    set_fee,
)
from tracker.store.users import User
from tracker.web.auditing import audit
from tracker.web.pages import render
from tracker.web.signing_in import RoleNeeded, check_form_token

router = APIRouter()
Reader = Annotated[User, Depends(RoleNeeded("scheduler", "Reading the fee schedule"))]
Billing = Annotated[User, Depends(RoleNeeded("billing", "Changing the fee schedule or seeing "
                                                        "the charges to capture"))]
FormText = Annotated[str, Form()]
Optional = Annotated[str, Form()]
CHARGE_DAYS = 30  # the charges page's default period, back from today


def _fees_page(request: Request, user: User, error: str | None = None,
               status_code: int = 200) -> Response:
    schedule = load_fee_schedule(request.app.state.board.engine)
    fees = sorted(schedule.fees, key=lambda f: (f.code, f.payer != ANY_PAYER, f.payer,
                                                f.effective_start))
    return render(request, "fees.html", user, status_code=status_code, fees=fees,
                  dollars=dollars, any_payer=ANY_PAYER, error=error)


@router.get("/fees")
def fees_page(request: Request, user: Reader) -> Response:
    return _fees_page(request, user)


@router.post("/fees")
def record_fee(request: Request, user: Billing, token: FormText, code: FormText,
               amount: FormText, effective_start: FormText, payer: Optional = ANY_PAYER,
               effective_end: Optional = "", per_unit: Optional = "") -> Response:
    check_form_token(request, token)
    try:
        fee = Fee(payer=_payer(payer), code=fee_code(code), amount_cents=parse_amount(amount),
                  effective_start=_day(effective_start, "effective_start"),
                  effective_end=_day(effective_end, "effective_end") if effective_end.strip()
                  else None, per_unit=per_unit == "1")
        saved = set_fee(request.app.state.board.engine, fee)
    except FeeProblem as problem:
        return _fees_page(request, user, error=problem.message, status_code=400)
    audit(request, user, "fee_recorded", f"fee:{saved.id}", payer=saved.payer, code=saved.code,
          amount_cents=saved.amount_cents, effective_start=saved.effective_start.isoformat(),
          effective_end=saved.effective_end.isoformat() if saved.effective_end else None,
          per_unit=saved.per_unit)
    return RedirectResponse("/fees", status_code=303)


@router.post("/fees/{fee_id}/remove")
def remove_fee_row(request: Request, user: Billing, fee_id: int, token: FormText) -> Response:
    check_form_token(request, token)
    if not remove_fee(request.app.state.board.engine, fee_id):
        return _fees_page(request, user, error=f"No fee {fee_id} on file: it was removed "
                                               "already", status_code=404)
    audit(request, user, "fee_removed", f"fee:{fee_id}")
    return RedirectResponse("/fees", status_code=303)


@router.get("/charges")
def charges_page(request: Request, user: Billing, since: str = "", until: str = "") -> Response:
    today = request.app.state.board.today()
    try:
        last = _day(until, "until") if until.strip() else today
        first = _day(since, "since") if since.strip() else last - timedelta(days=CHARGE_DAYS)
    except FeeProblem as problem:
        return render(request, "charges.html", user, status_code=400, error=problem.message,
                      found=None, since=since, until=until, kinds=KIND_WORDS, dollars=dollars)
    found = missed_charges(request.app.state.board.engine, first, last)
    return render(request, "charges.html", user, error=None, found=found, since=first,
                  until=last, kinds=KIND_WORDS, dollars=dollars)


def _payer(text: str) -> str:
    value = text.strip().lower() or ANY_PAYER
    if value != ANY_PAYER and not (value[0].isalpha() and value.replace("_", "").isalnum()):
        raise FeeProblem("payer", f"payer {text!r} is not a payer policy id (e.g. medicare) or "
                                  "* for every payer")
    return value


def _day(text: str, field: str) -> date:
    try:
        return parse_date(text.strip())
    except ValueError:
        raise FeeProblem(field, f"{field} {text!r} is not a date; write it as YYYY-MM-DD") \
            from None
