"""The practice's figures: approval rates, turnaround against the decision clock, denials by
reason, appeals overturned and exemption progress (docs/figures.md defines each), their charts
as server-rendered SVG, their CSV, the monthly PDF report and the weekly headline."""
