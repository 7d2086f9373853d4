"""The README demo (3CX scenario) and the artifact tampering helpers the diff benchmark shares."""
