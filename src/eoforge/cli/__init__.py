"""The ``eoforge`` command-line tool: one module per subcommand, dispatched by :mod:`.main`."""
