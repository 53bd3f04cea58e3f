"""Fields two schemas share with the same type (`specs.fields`)."""

from __future__ import annotations

from kodegen.specs import fields, model


def obj(**properties: model.Schema) -> model.Schema:
    return model.Schema(
        type="object", properties=tuple(model.Property(n, s, False) for n, s in properties.items())
    )


TEXT = model.Schema(type="string")
TEXTS = model.Schema(type="array", items=TEXT)


def test_same_scalars_components_and_arrays_of_alike_items_are_shared() -> None:
    pet = model.Schema(ref="Pet")
    components = {"Pet": obj(name=TEXT)}
    read = obj(name=TEXT, tags=TEXTS, pet=pet, size=model.Schema(type="integer"))
    written = obj(name=TEXT, tags=TEXTS, pet=pet, size=model.Schema(type="number"), extra=TEXT)
    assert fields.shared(written, read, components) == ["name", "pet", "tags"]


def test_constraints_enums_and_inline_objects_keep_fields_apart() -> None:
    read = obj(
        mode=model.Schema(type="string", enum=("a", "b")),
        tags=model.Schema(type="array", items=TEXT, max_items=2),
        inner=obj(x=TEXT),
    )
    written = obj(mode=TEXT, tags=TEXTS, inner=obj(x=TEXT))
    assert fields.shared(written, read, {}) == []


def test_a_value_fits_where_it_is_read_unless_its_shape_or_a_demand_differs() -> None:
    """`fits`: ids written where objects are read, a field the reader requires and the writer
    may omit, an enum wider than the reader's, or a null the reader refuses do not fit;
    inline objects of the same shape, integers read as numbers and untyped sides do."""
    ref = model.Schema(ref="List")
    components = {
        "List": model.Schema(type="object", properties=(model.Property("id", TEXT, True),))
    }
    integer, number = model.Schema(type="integer"), model.Schema(type="number")
    ids = model.Schema(type="array", items=integer)
    assert not fields.fits(ids, model.Schema(type="array", items=ref), components)
    assert fields.fits(obj(id=TEXT), obj(id=TEXT), {})
    assert fields.fits(integer, number, {})
    assert fields.fits(model.Schema(), ref, components)
    assert not fields.fits(obj(id=TEXT), components["List"], components)
    assert not fields.fits(TEXT, model.Schema(type="string", enum=("a",)), {})
    assert fields.fits(model.Schema(type="string", enum=("a",)), TEXT, {})
    assert not fields.fits(model.Schema(type="string", nullable=True), TEXT, {})


def test_a_value_does_not_fit_a_reader_with_a_constraint_its_writer_lacks() -> None:
    """A plain string written where a `pattern` (or a length, a bound, a format) is read may
    break it when answered back; the same constraint on both sides fits."""
    versioned = model.Schema(type="string", pattern="^[0-9]+[.][0-9]+$")
    assert not fields.fits(TEXT, versioned, {})
    assert not fields.fits(TEXT, model.Schema(type="string", min_length=1), {})
    assert not fields.fits(
        model.Schema(type="integer"), model.Schema(type="integer", minimum=0), {}
    )
    assert fields.fits(versioned, versioned, {})
    assert fields.fits(model.Schema(type="string", max_length=3), TEXT, {})
