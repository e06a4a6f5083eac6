"""The pure wire layer: dialects as data, the request/response codec, error mapping,
server flavors, argument validation, semver and webhooks."""
