"""Typed models, their one converter factory, ``to_dict`` and reprs (a leaf layer: it imports
nothing else of the package)."""
