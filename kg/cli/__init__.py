"""The govsm command line: a thin shell over the library."""
