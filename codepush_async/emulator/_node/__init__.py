"""Node.js-compatible helpers: the official server's semver, hashing, coercions, routing,
limits."""
