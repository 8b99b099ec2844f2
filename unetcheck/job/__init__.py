"""The main job, `unetcheck verify`: train the reference, verify it, write a report; and the
rest of the command line (`validate-data`, `predict`, `evaluate`, `compare`, `bench`)."""
