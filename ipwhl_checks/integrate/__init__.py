"""Integrate: prove that a published tree's projects install and import, alone and together.

:mod:`.published` reaches the tree (a ``--out`` directory, a CAR, a gateway),
:mod:`.target` asks the interpreter which wheels apply, :mod:`.modules` names what a wheel
makes importable, :mod:`.sandbox` runs package code (a deadline, a memory limit, no
network), :mod:`.run` installs and imports each project, and :mod:`.report` says what
happened.  Package code runs here only, and only in the sandbox.
"""
