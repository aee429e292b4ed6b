"""The base of what a client sends to change a record in part (an HTTP PATCH)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class PatchModel(BaseModel):
    """A partial change: only the fields sent change, and ``null`` clears a field, except
    the fields named in ``not_null`` (their column is NOT NULL, or clearing them would lose
    something), which may be changed but not set to null.

    Every field of a subclass is optional with a default of None, so that a field left out
    is "unchanged"; ``changes()`` gives only the fields sent."""

    model_config = ConfigDict(use_enum_values=True, extra="forbid")

    not_null: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # A misspelt name would let null through silently: refuse it when the class is made.
        unknown = cls.not_null - set(cls.model_fields)
        if unknown:
            raise TypeError(f"{cls.__name__}.not_null names no field: {sorted(unknown)}")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        # Only runs for values actually sent, so an omitted field stays "unchanged".
        if value is None and info.field_name in cls.not_null:
            raise ValueError("may be changed but not set to null")
        return value

    def changes(self) -> dict[str, object]:
        """The fields the client sent, ready to store."""
        return self.model_dump(exclude_unset=True)
