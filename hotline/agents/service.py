"""Feature service; `start(runtime)` registers its AMI event handlers and background tasks."""


async def start(runtime) -> None:
    return None
