"""kodegen.api: the resources of the API group kodegen.dev/v1alpha1, as pydantic models.

Pure data (no I/O, no logic beyond validation); import the modules, not the names:

- `base`: the shared model configuration (`KodegenModel`), `ObjectMeta`, `Condition`,
  `LabelSelector`, the patterns (DNS-1123, semver, digest)
- `refs`: references to Secrets, ConfigMaps and Git repositories
- `specification`: the formal specification (openapi, graphql, adr, userStory)
- `codetemplate`: `CodeTemplate`, `ClusterCodeTemplate`, `CodeTemplateSpec` (also the schema
  of a builtin template's `template.yaml`)
- `codegeneration`: `CodeGeneration` and its spec; `codegeneration_status`: its status
- `schema`: pydantic JSON schema -> Kubernetes structural schema
- `crd`: the CustomResourceDefinitions (`crds()`, `render_yaml()`, `write(folder)`)
"""
