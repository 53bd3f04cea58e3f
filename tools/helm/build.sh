#!/usr/bin/env bash
# Builds Helm from the Go module proxy into
#   ${XDG_CACHE_HOME:-~/.cache}/kodegen/helm-<version>/helm
# (`go install helm.sh/helm/v4/cmd/helm@<version>`), so only the first build is slow (module
# downloads + compile: a few minutes on 2 cores). The chart tests (tests/chart/) use this binary.
#   build.sh              build if missing, then print the binary's path
#   build.sh --print-path only print the path (the tests use it to find the binary)
set -euo pipefail
version=v4.3.2
dir="${XDG_CACHE_HOME:-$HOME/.cache}/kodegen/helm-${version}"
if [[ "${1:-}" == "--print-path" ]]; then
    echo "$dir/helm"
    exit 0
fi
if [[ -x "$dir/helm" ]]; then
    echo "$dir/helm"
    exit 0
fi
mkdir -p "$(dirname "$dir")"
# One build at a time (parallel test workers may all ask for it); the others wait, then find it.
exec 9>"${dir}.lock"
flock 9
if [[ -x "$dir/helm" ]]; then
    echo "$dir/helm"
    exit 0
fi
echo "building helm ${version} into $dir" >&2
tmp=$(mktemp -d "${dir}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
# helm's version package takes the version from the module build info; -ldflags sets it too so
# `helm version` names the release even where build info is missing.
CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-mod=mod nice -n 19 \
    go install -trimpath -buildvcs=false \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${version}" \
    "helm.sh/helm/v4/cmd/helm@${version}"
[[ -x "$tmp/helm" ]] || { echo "build.sh: helm was not built" >&2; exit 1; }
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$dir/helm"
