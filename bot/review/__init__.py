"""Spaced review: the questions a person met come back at growing intervals, missed ones sooner."""
