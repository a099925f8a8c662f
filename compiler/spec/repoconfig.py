"""rollplan.yaml at the repository root: settings of the repository as a whole.

Today one setting: the deployed branch, the branch the GitOps controller
applies. Plans are compiled against its merge-base with HEAD (C-6).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compiler.errors import InputError
from compiler.spec.load import WorkTree
from compiler.spec.modelerrors import model_problem
from compiler.spec.yamlio import load_document

CONFIG_FILE = "rollplan.yaml"
BRANCH_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$"


class RepoConfig(BaseModel):
    """rollplan.yaml: how this repository is deployed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deployed_branch: str | None = Field(
        default=None,
        pattern=BRANCH_PATTERN,
        description="Branch the GitOps controller applies (e.g. main). Default: the remote's HEAD branch, else main.",
    )


def load_repo_config(root: Path) -> RepoConfig:
    """The repository's rollplan.yaml, strictly validated; defaults when there is none."""
    raw = WorkTree(root).read(CONFIG_FILE)
    if raw is None:
        return RepoConfig()
    doc = load_document(raw, CONFIG_FILE)
    data = {} if doc.data is None else doc.data
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as err:
        raise InputError([model_problem(doc, RepoConfig, d) for d in err.errors(include_url=False)]) from None
