"""The base of partial changes: what was sent, and the fields that may not be cleared."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from store.patch import PatchModel


class Change(PatchModel):
    not_null = frozenset({"name"})

    name: str | None = None
    note: str | None = None


def test_changes_are_only_the_fields_sent_and_null_clears_an_optional_one() -> None:
    assert Change.model_validate({}).changes() == {}
    assert Change.model_validate({"note": None}).changes() == {"note": None}
    assert Change.model_validate({"name": "x"}).changes() == {"name": "x"}


def test_a_not_null_field_may_be_changed_but_not_set_to_null() -> None:
    with pytest.raises(ValidationError) as caught:
        Change.model_validate({"name": None, "note": None})
    [error] = caught.value.errors(include_url=False)
    assert (error["loc"], error["msg"]) == (
        ("name",),
        "Value error, may be changed but not set to null",
    )


def test_a_field_the_model_does_not_have_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Change.model_validate({"nmae": "x"})


def test_a_not_null_name_that_is_no_field_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="nmae"):

        class Misspelt(PatchModel):
            not_null = frozenset({"nmae"})

            name: str | None = None
