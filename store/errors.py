"""Storage errors of our own: foreign exceptions are converted at this boundary."""


class StoreError(Exception):
    """The database could not do what was asked."""


class MigrationError(StoreError):
    """The schema could not be brought up to date."""
