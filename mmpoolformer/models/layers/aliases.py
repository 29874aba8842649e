"""Short names that stand for layer config dicts (``'gn'`` for
``dict(type='GN', num_groups=1)`` and the like)."""
from typing import Union


def resolve_alias(cfg: Union[str, dict], aliases: dict, what: str) -> dict:
    """A copy of ``cfg`` (a dict with a ``type``) or of the dict its short
    name stands for in ``aliases``; ``what`` names it in messages.

    Raises:
        ValueError: An unknown short name.
        TypeError: Neither a str nor a dict with a ``type``.
    """
    if isinstance(cfg, str):
        if cfg not in aliases:
            raise ValueError(f'unknown {what} {cfg!r}: give a config dict '
                             f'such as {next(iter(aliases.values()))} or one '
                             f'of the short names {sorted(aliases)}')
        return dict(aliases[cfg])
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'a {what} must be a dict with a "type" or one of '
                        f'{sorted(aliases)}, got {cfg!r}')
    return dict(cfg)
