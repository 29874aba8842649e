"""Whether drawings can be shown in a window."""
import matplotlib
from matplotlib.backends import BackendFilter, backend_registry

from ..engine.config_loading import UsageError


def check_display(instead: str) -> None:
    """Refuses ``--show`` where matplotlib, which draws mmengine's windows,
    cannot open one (e.g. its ``agg`` backend, its choice on a machine
    without a display): there a tool would show nothing, or wait forever
    for a key press.

    Args:
        instead (str): The option that writes the drawings to files, named
            in the message.

    Raises:
        UsageError: no window can open.
    """
    backend = matplotlib.get_backend()
    if backend.lower() in backend_registry.list_builtin(
            BackendFilter.NON_INTERACTIVE):
        raise UsageError(f"--show needs a display: matplotlib's backend "
                         f'{backend!r} opens no windows; draw the predictions '
                         f'into a folder with {instead} instead')
