"""The environment state model, built from the example's real specs."""

from __future__ import annotations

from pathlib import Path

from support import scenarios

from compiler.errors import Location
from compiler.plan.envstate import EnvState, Epochs, env_state
from compiler.repo.example import TextEdit
from compiler.resolve.states import plan_states
from compiler.spec.load import WorkTree, load_specs


def _prod(root: Path) -> tuple[EnvState, Epochs]:
    specs = load_specs(WorkTree(root), only=["prod"])
    loaded = specs.environments["prod"]
    epochs = Epochs.of(specs.release_notes["tenant"])
    return env_state(loaded, plan_states(loaded, specs, None, None, loaded.spec.secrets).target, epochs), epochs


def test_env_state_of_the_example_has_one_primary_and_the_epoch_of_its_release(tmp_path: Path) -> None:
    root = scenarios.example_repo(tmp_path / "repo")
    scenarios.apply_edits(root, [scenarios.prod_version("100.0.1000079")])
    state, epochs = _prod(root)
    assert state.primary == "westus2"
    assert sorted(state.regions) == ["centralus", "eastus", "westus2"]
    assert epochs.epoch("100.0.1000076") == 0 and epochs.epoch("100.0.1000079") == 1
    assert state.epoch == 1
    assert state.version_at == Location("environments/prod/environment.yaml", 4, 10)


def test_env_state_records_pins_and_absent_regions(tmp_path: Path) -> None:
    root = scenarios.example_repo(tmp_path / "repo")
    region = "environments/prod/regions/eastus.yaml"
    scenarios.apply_edits(root, [
        TextEdit(region, "replicas: 3\n", "replicas: 3\npin:\n  version: '100.0.1000067'\n"),
        TextEdit("environments/prod/regions/centralus.yaml", "replicas: 2\n", "replicas: 2\nstate: absent\n"),
    ])  # fmt: skip
    state, _ = _prod(root)
    eastus = state.regions["eastus"]
    assert eastus.pin_at is not None and eastus.pin_at.file == region and eastus.pin_at.line > 0
    assert state.holder_at("eastus") == eastus.pin_at
    assert state.absent == {"centralus"}
    assert "centralus" in state.files and "centralus" not in state.regions
