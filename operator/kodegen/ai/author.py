"""What AI does in a generation, as verbs over a router: plan and write a project, fill the
marked regions of a rendered one, repair what the quality gates rejected.

Each verb asks one or two questions and returns files (path -> text) to lay over the project;
running the gates and choosing the best attempt is the pipeline's job. Every answer goes
through a `guard.Guard` over the project (path clashes, protected files); what it refuses is
reported by the router (`Usage.rejected`, the transcript), and an answer left with no file
fails over to the next provider like any unusable answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kodegen import errors
from kodegen.ai import guard, prompts, protocol, router, types

__all__ = ["REGION", "Author", "Task", "regions"]

REGION = re.compile(r"#\s*kodegen:implement\s+(?P<id>[A-Za-z0-9_.\-]+)")
"""The marker of a region AI may fill in `mode: assist` (closed by `# kodegen:end`)."""


@dataclass(frozen=True)
class Task:
    """The specification, as data for the prompts."""

    kind: str
    """adr, userStory, openapi or graphql."""
    text: str
    """The specification text, passed to the model between delimiters, never as instructions."""
    preferences: prompts.Preferences


def regions(files: Mapping[str, str]) -> dict[str, list[str]]:
    """The `# kodegen:implement <id>` regions of `files`: path -> operation ids, in order."""
    found: dict[str, list[str]] = {}
    for path, text in files.items():
        ids = [match.group("id") for match in REGION.finditer(text)]
        if ids:
            found[path] = ids
    return found


class Author:
    def __init__(self, ask: router.Router) -> None:
        self.router = ask

    async def write(
        self, task: Task, skeleton: Mapping[str, str], *, rules: guard.Guard | None = None
    ) -> dict[str, str]:
        """Plan, then write the project (code and tests) inside `skeleton`'s structure.
        `rules`: what the answer may change (default: a guard over `skeleton`)."""
        system = prompts.system(task.preferences)
        _, plan = await self.router.ask(
            router.Prompt("plan", system, prompts.plan(task.kind, task.text), max_tokens=4096),
            _plan,
        )
        _, files = await self.router.ask(
            router.Prompt("write", system, prompts.write(task.kind, task.text, plan, skeleton)),
            functools.partial(_files, rules or _default(skeleton)),
        )
        return files.files

    async def fill(
        self, task: Task, files: Mapping[str, str], *, rules: guard.Guard | None = None
    ) -> dict[str, str]:
        """Implement every marked region of `files` and add tests; {} when there is none."""
        marked = regions(files)
        if not marked:
            return {}
        context = {path: files[path] for path in marked}
        ids = [op for ops in marked.values() for op in ops]
        system = prompts.system(task.preferences)
        _, answer = await self.router.ask(
            router.Prompt("fill", system, prompts.fill(task.kind, task.text, context, ids)),
            functools.partial(_files, rules or _default(files)),
        )
        return answer.files

    async def repair(
        self,
        task: Task,
        files: Mapping[str, str],
        reports: Sequence[str],
        *,
        rules: guard.Guard | None = None,
    ) -> dict[str, str]:
        """Fix what the failing gates report (their reports trimmed by `prompts.repair`)."""
        system = prompts.system(task.preferences)
        _, answer = await self.router.ask(
            router.Prompt("repair", system, prompts.repair(task.kind, task.text, files, reports)),
            functools.partial(_files, rules or _default(files)),
        )
        return answer.files


def _default(files: Mapping[str, str]) -> guard.Guard:
    return guard.Guard({path: text.encode() for path, text in files.items()})


def _files(rules: guard.Guard, response: types.Response) -> protocol.Parsed:
    parsed = rules.check(protocol.parse(response.text))
    if not parsed.files:
        detail = "; ".join(parsed.problems[:10]) or "no '=== FILE: <path> ===' block found"
        raise errors.ProviderError(
            provider=response.provider,
            kind="unparseable",
            reason=f"no usable file in the answer: {detail}",
        )
    if response.finish_reason == "length" and parsed.problems:
        raise errors.ProviderError(
            provider=response.provider,
            kind="unparseable",
            reason="the answer was cut off at max_tokens: " + "; ".join(parsed.problems[:3]),
        )
    return parsed


def _plan(response: types.Response) -> str:
    parsed = protocol.parse(response.text)
    if "PLAN.md" in parsed.files:
        return parsed.files["PLAN.md"]
    if parsed.files:
        return "\n\n".join(parsed.files.values())
    if response.text.strip():
        return response.text.strip()  # a plan given as plain prose is still a plan
    raise errors.ProviderError(provider=response.provider, kind="unparseable", reason="empty plan")
