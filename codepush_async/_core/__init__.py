"""The request loop and what it runs on: transport, retry, rate limits, timeouts, clock,
secrets, logs."""
