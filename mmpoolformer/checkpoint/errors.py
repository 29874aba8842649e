class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable, unsafe or does not fit the
    model. The message names the file and what did not match."""
