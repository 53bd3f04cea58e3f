"""How much of an untrusted document kodegen agrees to read.

Every spec, manifest and template file comes from someone kodegen does not trust, and the
operator parses them in its own process on every reconcile: a document past one of these limits
is refused with one line naming the limit (never a crash, a hang or a memory blow-up). The
defaults are far above what real documents need (the 77 public specs of the corpus peak at
depth 18, 11 k nodes and 320 KB) and far below what would hurt the operator.
"""

from __future__ import annotations

import dataclasses

__all__ = ["DEFAULT", "Limits"]


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int = 16 * 1024 * 1024
    """Bytes of one document's text, and of all its string values once YAML aliases are
    expanded. 16 MiB: the largest public OpenAPI documents are a few MiB; a ConfigMap holds
    at most 1 MiB."""

    max_nodes: int = 100_000
    """Values (mappings, lists, scalars) in one document with every YAML alias expanded, which
    is what every later stage walks. 100 k is 9 times the largest corpus spec (11 k); the
    metaschema validators take about 1.5 s of CPU for a document this large and four times
    that at 350 k, so past it a crafted document would hold a reconcile for many seconds. An
    alias bomb (a few lines, billions of nodes expanded) is refused while composing, before
    any Python object is built."""

    max_aliases: int = 10_000
    """YAML alias nodes (`*name`) in one document. Real specs use a handful."""

    max_depth: int = 64
    """Nesting of mappings and lists. 3.5 times the corpus maximum (18), and low enough that
    every recursive walk after parsing (the metaschema validators take about ten Python frames
    per level) stays far from Python's recursion limit; a generated literal nested this deep
    still compiles (Python's parser stops at 200 brackets)."""

    max_integer_digits: int = 40
    """Decimal digits of an integer. 40 holds every 128-bit value (39 digits); past that no
    schema means it, and floats overflow at 309 digits."""

    max_pattern_length: int = 4096
    """Characters of one regular expression (`pattern`, `patternProperties`). RE2 compiles
    and runs it in time linear in the text, but its program grows with the pattern."""

    max_regex_memory: int = 8 * 1024 * 1024
    """Bytes RE2 may use for one compiled pattern (its `max_mem`); a pattern that needs more
    (huge counted repeats) is refused."""

    max_count: int = 4096
    """Largest `minLength` and `minItems` kodegen builds samples and test values for: a value
    that meets `minLength: 1e11` does not fit in memory, and the search for a string that
    meets a `pattern` at a minimum length takes time quadratic in it. Real specs ask for
    minimums of a few hundred at most (upper bounds, `maxLength: 2147483647`, are not
    limited: nothing is built to reach them)."""

    max_sample_bytes: int = 1024 * 1024
    """Bytes (as JSON) of one sample value built for a schema: generated code and tests hold
    samples literally, so `minItems: 1000` of `minLength: 1000` strings must not become a
    gigabyte of source. 1 MiB is a thousand times a typical sample."""

    max_documents: int = 1000
    """Documents one spec may refer to (`$ref` to sibling files, allowed URLs), the entry
    included; their bytes together are bounded by `max_bytes`. The largest multi-file corpus
    spec has 60 files."""

    max_sdl_tokens: int = 200_000
    """Tokens of one GraphQL SDL document (graphql-core stops there). The largest corpus
    schema has about 10 k."""


DEFAULT = Limits()
"""The limits every parser applies unless given others (tests pass smaller ones)."""
