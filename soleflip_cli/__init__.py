"""soleflip: the back office of a sneaker reseller, from the command line."""

__version__ = "0.1.0"
