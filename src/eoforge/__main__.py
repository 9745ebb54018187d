"""``python -m eoforge`` runs the command-line tool."""

from eoforge.cli.main import main

raise SystemExit(main())
