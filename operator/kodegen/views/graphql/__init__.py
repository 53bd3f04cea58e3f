"""GraphQL SDL -> the context of `python-graphql-service`: `context.build` is the entry point;
`naming` spells GraphQL names in Python, `crud` finds root fields with CRUD semantics over an
in-memory store, `cases` writes their generated tests."""
