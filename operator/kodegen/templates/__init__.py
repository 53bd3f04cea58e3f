"""kodegen.templates: find, check and render template versions.

    registry    load(folder), available(root), resolve(family, range, root) -> model.Template
    model       Template(spec, folder, files, digest); build(); content_digest()
    versions    npm-style semver ranges: matches(version, range), best(versions, range)
    variables   validate(declared, given) -> values with defaults (VariableError)
    render      render(template, context) -> {path: text}; expand(text, context)
    sandbox     the one Jinja environment (sandboxed, strict, deterministic)
    filters     snake, pascal, camel, kebab, pyident, pyrepr, tojson, quote, docstring

Every failure is a kodegen.errors.TemplateError or VariableError. Import the modules, not
their names: ``from kodegen.templates import registry`` then ``registry.resolve(...)``.
"""
