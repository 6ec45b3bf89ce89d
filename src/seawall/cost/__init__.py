"""Cost visibility from recorded traffic: reports per group and the projected monthly bill."""
