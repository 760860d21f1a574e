"""What a flow run published, read back through the Prefect client from the temporary Prefect
server of the test session (tests/conftest.py's `prefect_server`)."""

from __future__ import annotations

from typing import Any


def published(state: Any, key: str) -> list[Any]:
    """The artifacts with `key` the flow run that ended in `state` created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )

    with get_client(sync_client=True) as client:
        return list(client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))))
