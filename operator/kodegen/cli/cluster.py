"""The commands that talk to Kubernetes, or print what it is given: `crds`, `operator`,
`run-job`, `fetch-output`. kopf and the Kubernetes client are imported only here, and only
when one of these runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kodegen import errors
from kodegen.cli import display
from kodegen.outputs import directory

__all__ = ["crds_command", "fetch_output_command", "operator_command", "run_job_command"]


def crds_command(args: argparse.Namespace) -> int:
    from kodegen.api import crd  # only this command needs the CRD builder

    if args.out is None:
        sys.stdout.write(crd.render_yaml())
        return errors.ExitCode.OK
    try:
        crd.write(args.out)
    except OSError as exc:
        raise errors.DestinationError(
            destination=f"the CRDs to {args.out}", reason=str(exc.strerror or exc)
        ) from exc
    return errors.ExitCode.OK


def operator_command(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses
    import logging

    from kodegen.controller import kube, main, settings  # only the operator needs kopf

    try:
        config = settings.from_env()
    except ValueError as exc:
        raise errors.InputError(f"operator settings: {exc}") from exc
    overrides = {
        key: value
        for key, value in (("executor", args.executor), ("metrics_port", args.metrics_port))
        if value is not None
    }
    config = dataclasses.replace(config, **overrides)
    try:
        client = kube.connect()
    except Exception as exc:  # the client's config errors have no common base
        raise errors.InputError(
            f"no usable cluster configuration (in-cluster, KUBECONFIG or ~/.kube/config): {exc}"
        ) from exc
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    op = main.build(config, client)
    if config.metrics_port:
        op.metrics.serve(config.metrics_port)
    asyncio.run(
        main.run(
            op,
            namespaces=args.namespace or (),
            standalone=args.standalone,
            liveness=args.liveness,
        )
    )
    return errors.ExitCode.OK


def run_job_command(args: argparse.Namespace) -> int:
    import logging

    from kodegen.controller import main

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    return main.run_job(args.namespace, args.request)


def fetch_output_command(args: argparse.Namespace) -> int:
    """The files a CodeGeneration published to ConfigMaps, into `--out`. An unreachable API is
    `errors.OutputError` (retryable: exit 75); a missing or corrupt output, or the API's
    refusal, exit 74."""
    from kodegen.controller import kube
    from kodegen.outputs import configmaps

    namespace, _, name = args.ref.rpartition("/")
    out: Path = args.out
    directory.check(out.absolute(), force=args.force)
    try:
        client = kube.connect(kubeconfig=args.kubeconfig)
    except Exception as exc:  # the client's config errors have no common base
        raise errors.FlagError(
            flag="--kubeconfig",
            value=args.kubeconfig or "",
            reason=f"no usable cluster configuration: {exc}",
        ) from exc
    files = configmaps.fetch(client.core, name=name, namespace=namespace or "default")
    directory.publish(files, out, force=args.force)
    display.stdout().print(f"wrote {out} ({len(files)} files) from ConfigMap {namespace}/{name}")
    return errors.ExitCode.OK
