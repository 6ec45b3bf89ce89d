"""``python -m seawall.cli``."""

from seawall.cli.main import main

main()
