"""Thin resource sub-clients: validate arguments, name the operation, type the answer."""
