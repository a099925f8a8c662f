"""Secrets of the base the plan hides, where hiding them changes what runs.

Rule masked-base-credential: a rollback that restores spec fields whose credential history held.

A secret found in a spec field of the base (a password in ``chart.repository``,
``cluster.server`` …) is masked to ``REDACTED`` so that the commit removing it
compiles. The rollback restores the base as it was written, so its helm
commands and GitOps manifests then name ``…:REDACTED@…`` and cannot
authenticate: the reviewer must know before relying on that rollback.

Rule pasted-secret: a target value equal to a secret of the base is hidden like it.
"""

from __future__ import annotations

from compiler.resolve.secretforms import MASK
from compiler.spec.load import LoadedEnvironment

# The spec fields the rollback's commands and manifests take from the base.
_ENV_FIELDS = (("chart", "repository"),)


def masked_base_risks(base: LoadedEnvironment | None, restored: set[str]) -> list[str]:
    """A loud risk per base field the rollback uses that held a credential; ``restored``: regions it restores."""
    if base is None or not restored:
        return []
    fields = [(base.spec_file, ".".join(path)) for path in _ENV_FIELDS if _masked(_field(base.spec, path))]
    fields += [
        (base.region_files[region.name], "cluster.server")
        for region in base.regions
        if region.name in restored and _masked(region.cluster.server)
    ]
    return [
        f"ROLLBACK: {field} in {file} held a credential in the base, shown as {MASK} here: the rollback "
        "restores it as written, so its helm commands or GitOps manifests cannot authenticate with it; supply "
        "the credential another way (helm registry login, a repository Secret) before relying on the rollback "
        "(rule: masked-base-credential)"
        for file, field in fields
    ]


def _field(spec: object, path: tuple[str, ...]) -> object:
    for part in path:
        spec = getattr(spec, part, None)
    return spec


def _masked(value: object) -> bool:
    return isinstance(value, str) and MASK in value


def pasted_secret_risks(target: LoadedEnvironment, pasted: dict[str, list[str]]) -> list[str]:
    """A loud risk per target region whose values hold a copy of a secret of the base (rule 8).

    The copy is hidden like the secret, so helm receives it from no file of the
    repository: the secrets file must hold it, or the values file must lose it.
    """
    return [
        f"SECRET COPY: {', '.join(paths)} in the values of region {region} ({target.region_files[region]}) equal a "
        "secret of the deployed state, so they are hidden and helm gets them from no file of the repository; "
        "remove them from the values files, or supply them from the secrets file (rule: pasted-secret)"
        for region, paths in sorted(pasted.items())
    ]
