"""The ``/api/v1`` dialect (docs/v1-wire.md)."""
