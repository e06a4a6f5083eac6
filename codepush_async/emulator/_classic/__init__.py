"""The classic management dialect of microsoft/code-push-server."""
