"""Drafting: the note aggregate from the first keystroke until it is frozen for signing."""
