"""Errors raised by the labels library. Every failure raises; nothing returns None or False."""

from __future__ import annotations


class LabelError(Exception):
    """A label cannot be made as asked. `field` names what is wrong, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[LabelError], tuple[str, str]]:
        # raised in a worker process, it comes back as a pickle: rebuild it from both parts
        return type(self), (self.field, self.message)


class StockError(LabelError):
    """A label stock definition is invalid."""


class TemplateError(LabelError):
    """A label template is invalid, or its expressions failed (including sandbox refusals)."""


class FitError(LabelError):
    """The content cannot be placed legibly on the stock; refused rather than squeezed."""


class PrinterError(LabelError):
    """Sending to a printer failed."""
