"""``python -m codepush_async``: the command line (needs the ``cli`` extra)."""

import sys

try:
    from codepush_async.cli import main
except ModuleNotFoundError as missing:  # click or rich
    print(f"the command line needs the cli extra ({missing.name} is missing): "
          "pip install 'codepush-async[cli]'", file=sys.stderr)
    sys.exit(1)

main()
