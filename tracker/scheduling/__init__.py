"""Schedules: the flows' cadences as `prefect.yaml` defines them, and the scheduler embedded in
`painauth serve` for sites that run without Prefect deployments."""
