"""The pure wire layer: dialects as data, the request/response codec, answer decoding into
models, error mapping, server flavors, argument validation, semver and webhooks."""
