"""``python -m metacrm.cli``: the metacrm command."""

from . import main

main()
