"""The one exception type users of csobot need to catch."""


class CsobotError(Exception):
    """A problem the user can fix (bad input, missing model, stale index): shown as one line."""
