"""Untrusted YAML and JSON documents read within limits (`loading`, `limits`): specs,
manifests, template files and ConfigMap-held documents all come through here."""
