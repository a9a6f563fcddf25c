"""Optical music recognition: PrIMuS semantic tokens -> timed notes -> MIDI.

This package does not import JAX: parsing and MIDI writing work without a model.
"""
