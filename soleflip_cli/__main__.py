"""Entry point for `python -m soleflip_cli`."""

from soleflip_cli.cli import main

main()
