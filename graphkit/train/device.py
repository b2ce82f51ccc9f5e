"""Device selection: CUDA when available unless the user names a device."""

from __future__ import annotations

import torch

from graphkit._validation import check_device


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``None``/``'auto'`` → ``cuda`` when available, else ``cpu``; otherwise the named device.

    Raises ``ValueError`` for an unparsable name, for ``cuda`` on a machine
    without a CUDA device and for ``cuda:N`` beyond the devices present
    (:func:`graphkit._validation.check_device`).
    """
    return check_device(device)
