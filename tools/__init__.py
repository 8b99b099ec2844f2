"""The project's build tools: what `noxfile.py` sets for the sessions that need it."""
