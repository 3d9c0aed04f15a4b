"""Nudges the person chose: on their days, in their part of the day, inside quiet hours, capped, pausing."""
