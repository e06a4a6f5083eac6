"""``codepush-async``: the SDK on the command line, for CI pipelines and shells.

Built on the public ``codepush_async`` names only, like the automation wings; needs the
``cli`` extra (click and rich), which the SDK itself never imports.
"""

from .main import cli, main

__all__ = ["cli", "main"]
