"""The rule engine: which campaigns run, what their rules say, and the effects they give.
Pure: no I/O, no clock; everything it needs is passed in."""
