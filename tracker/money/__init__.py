"""The practice's money: the fee schedule, revenue at risk on upcoming visits, what painauth
protected, and the charges performed sessions should carry (docs/money.md).

Plain functions returning plain dataclasses, amounts in integer cents, so the board, the demo,
the weekly report and the charts all read the same figures."""
