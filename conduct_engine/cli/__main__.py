"""``python -m conduct_engine.cli``."""

from conduct_engine.cli import main

main()
