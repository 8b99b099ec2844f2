"""Measurement tools: `unetcheck bench` (training speed against the tutorial's literal code and
the roofline) and the machine facts each figure is stated with. Never run by the test suite."""
