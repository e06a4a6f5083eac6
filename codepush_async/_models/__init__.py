"""Typed models and the one converter that maps them to and from the wire (a leaf layer)."""
