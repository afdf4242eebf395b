"""A field an import reads from a column of the clinic's file."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    required: bool
    # Normalised headers (letters and digits, lower case) that name this field.
    aliases: tuple[str, ...]
