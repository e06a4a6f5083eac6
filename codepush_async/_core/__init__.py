"""The request loop and what it runs on: the requester resources call, the session state
its views share, outcomes, transport, retry, rate limits, timeouts, clock, secrets, logs."""
