"""``python -m svcrules``: the command line."""

from svcrules.cli import main

raise SystemExit(main())
