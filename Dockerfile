# syntax=docker/dockerfile:1
# kodegen: the operator (`kodegen operator`) and the Job that runs one generation
# (`kodegen run-job`) share this image.
#
#   docker build -t ghcr.io/kodegen/kodegen:0.1.0 .
#
# Runs as the non-root user 65532 on a read-only root filesystem: writable places (HOME, TMPDIR)
# are emptyDir volumes mounted by the Deployment and the Job (deploy/operator.yaml, jobs.build).

ARG PYTHON_IMAGE=python:3.11-slim

# -- 1. the wheel: package + builtin templates (pyproject force-includes templates/ as
#       kodegen/_templates, where templates.registry.builtin_root() looks first) ---------------
FROM ${PYTHON_IMAGE} AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator/ operator/
COPY templates/ templates/
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && python -c "import sys, zipfile, glob; \
names = zipfile.ZipFile(glob.glob('/wheels/kodegen-*.whl')[0]).namelist(); \
sys.exit(0 if any(n.startswith('kodegen/_templates/') for n in names) else 'no templates in the wheel')"

# -- 2. the runtime -------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="kodegen" \
      org.opencontainers.image.description="Kubernetes operator that turns formal specifications into tested, scanned, provenance-stamped code" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/kodegen/kodegen"
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# git, openssh-client: git template sources over https and ssh (ssh-privatekey).
# bubblewrap: the gate sandbox (mount, pid and network namespaces for the generated code).
RUN apt-get update \
 && apt-get install --yes --no-install-recommends git openssh-client bubblewrap \
 && rm -rf /var/lib/apt/lists/*

# Generated code runs only fully contained here (qualityGates.isolation defaults to `required`):
# where the pod refuses user namespaces (seccomp RuntimeDefault), the gates that run generated
# code fail and say what is missing, unless a CodeGeneration sets `isolation: best-effort`.
ENV KODEGEN_ISOLATION=required

# Dependencies and kodegen in one layer; pip compiles the bytecode now, since nothing can be
# written next to the package at run time.
COPY --from=wheel /wheels/ /tmp/wheels/
RUN pip install /tmp/wheels/kodegen-*.whl \
 && rm -rf /tmp/wheels \
 && kodegen version

# The packages the gates may add for a generated project (kodegen/gates/allowed.py: pinned,
# hashed): installed now, so a Job never builds a gate environment nor needs a package index.
RUN python -c "from kodegen.gates import allowed; print(allowed.lines(sorted(allowed.PINS)), end='')" \
      > /tmp/gate-pins.txt \
 && pip install --require-hashes --no-deps --only-binary :all: -r /tmp/gate-pins.txt \
 && rm /tmp/gate-pins.txt

RUN groupadd --system --gid 65532 nonroot \
 && useradd --system --uid 65532 --gid 65532 --home-dir /work --no-create-home \
            --shell /usr/sbin/nologin nonroot \
 && mkdir -p /work/tmp \
 && chown -R 65532:65532 /work
ENV HOME=/work
WORKDIR /work
# Numeric, so the kubelet can check runAsNonRoot without reading /etc/passwd.
USER 65532:65532

ENTRYPOINT ["kodegen"]
CMD ["--help"]
