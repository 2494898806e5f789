"""Use cases of the signing service: load a note's stream, decide, append, retry on conflict."""
