"""One module per ``ipwhl`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

Command modules are thin: they parse arguments, call the library and print.  They are
imported lazily by :mod:`ipwhl_checks.cli`, so a hook only pays for the command it runs.
A command runs with the cyclic garbage collector paused; one that may run for hours (a
server) sets ``KEEP_GC = True`` to keep it on (see :mod:`ipwhl_checks.util.nogc`).
"""
