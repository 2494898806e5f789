"""The note aggregate in pure code: rules, schedules, the document, its digest, its states.

Nothing here does I/O: callers pass in what the outside world said (identity answers, the LPR
table, the time, random salts and token hashes) and get events or typed errors back.
"""
