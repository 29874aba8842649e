class DataError(RuntimeError):
    """An annotation file or a sample that cannot be used. The message names
    the file (and the image id where the dataset has one)."""

    def __str__(self) -> str:
        message = super().__str__()
        # A DataLoader worker's error is raised again in the main process
        # with the worker's traceback in front of the message: keep ours.
        return message.rsplit(f'{type(self).__name__}: ', 1)[-1].strip()


class MissingDataError(DataError):
    """A data root, image or label folder, or annotation file that a
    dataset config names and that does not exist."""
