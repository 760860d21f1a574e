"""The schedulers' status board and its JSON API (FastAPI + Jinja2, no JavaScript).

`tracker.web.app.create_app` builds it; `painauth serve` runs it.
"""
