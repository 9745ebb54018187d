"""``python -m eoforge`` runs the command-line tool."""

from eoforge.cli.main import main

if __name__ == "__main__":  # not when a spawned process (a Dask worker) re-imports this module
    raise SystemExit(main())
