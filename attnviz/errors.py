"""User-facing exceptions: every message says what the user can do next."""

from __future__ import annotations


class AttnvizError(Exception):
    """Base class for errors whose message can be shown to a user as is."""


class InputError(AttnvizError, ValueError):
    """The text given cannot be analysed (empty, invisible, ...)."""


class ModelLoadError(AttnvizError):
    """A model could not be loaded; the message names what to try instead."""


class AttentionError(AttnvizError):
    """The model did not return usable attention weights."""


class BusyError(AttnvizError):
    """The model is serving other requests; retry shortly."""


class ResourceError(AttnvizError):
    """The machine ran out of memory for this request."""


class CancelledError(AttnvizError):
    """The request's page went away while it waited; nobody is left to show the result to."""


class UnsupportedModelError(AttnvizError):
    """The model keeps its attention where attnviz does not look (see attnviz.architectures), or computes it in a
    way a feature cannot follow (fused projections, rotary positions, ...)."""
