"""Colours: adding values never changes the colour of values seen before, in any process."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from components.theme import PALETTE, REGISTRY_FILE, ColorRegistry, assign_colors, color_map, preferred_slot

BRANCHES = ["Eldoret", "Machakos", "Mombasa", "Nairobi CBD", "Nakuru", "Nyeri", "Thika", "Westlands"]
REPO = Path(__file__).resolve().parents[2]


def test_first_values_keep_the_colours_they_always_had():
    # The palette in name order, as before the registry existed: nobody's chart changes colour.
    assert assign_colors("branch", {}, BRANCHES) == {b: PALETTE[i] for i, b in enumerate(sorted(BRANCHES))}


@pytest.mark.parametrize("newcomer", ["Aaa Bay", "Kisumu", "Zanzibar", "Mombasa East"])
def test_a_new_branch_does_not_move_the_others(tmp_path, newcomer):
    before = color_map(BRANCHES, "branch", data_dir=tmp_path)
    after = ColorRegistry(tmp_path / REGISTRY_FILE).colors("branch", [*BRANCHES, newcomer])  # a fresh reader
    assert {b: after[b] for b in BRANCHES} == before
    assert after[newcomer] not in before.values()  # a free colour while the palette lasts


def test_adding_values_never_changes_existing_colours_in_any_order(tmp_path):
    rng = random.Random(7)
    names = [f"Line {rng.randrange(10**6):06d}" for _ in range(40)]  # more values than colours
    registry = ColorRegistry(tmp_path / REGISTRY_FILE)
    seen: dict[str, str] = {}
    while names:
        batch = [names.pop() for _ in range(min(len(names), rng.randint(1, 6)))]
        current = registry.colors("product_line", [*seen, *batch])
        assert {k: current[k] for k in seen} == seen
        seen.update(current)
    counts = {c: list(seen.values()).count(c) for c in PALETTE}
    assert max(counts.values()) - min(counts.values()) <= 1  # reused evenly once all are taken


def test_kinds_are_separate_and_distinct_while_the_palette_lasts(tmp_path):
    lines = color_map(["Plumbing", "Solar & Energy", "Electrical"], "product_line", data_dir=tmp_path)
    branches = color_map(BRANCHES, "branch", data_dir=tmp_path)
    assert len(set(branches.values())) == len(BRANCHES) and len(set(lines.values())) == 3
    stored = json.loads((tmp_path / REGISTRY_FILE).read_text(encoding="utf-8"))
    assert stored["branch"] == branches and stored["product_line"] == lines


def _colors_in_another_process(data_dir: Path, values: list[str], seed: str) -> dict[str, str]:
    code = ("import json, sys; from pathlib import Path; from components.theme import color_map; "
            "print(json.dumps(color_map(json.loads(sys.argv[2]), 'branch', data_dir=Path(sys.argv[1]))))")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", code, str(data_dir), json.dumps(values)], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_every_process_reads_the_same_colours(tmp_path):
    first = _colors_in_another_process(tmp_path, BRANCHES, "1")
    # Another process (another hash seed) adding a branch keeps the first one's colours...
    second = _colors_in_another_process(tmp_path, [*BRANCHES, "Kisumu"], "2")
    assert {b: second[b] for b in BRANCHES} == first
    # ...and this process, reading the file, agrees with both.
    assert color_map([*BRANCHES, "Kisumu"], "branch", data_dir=tmp_path) == second


def test_the_preferred_slot_does_not_depend_on_the_process():
    # sha256, not Python's salted hash(): a fixed value for a fixed name.
    assert preferred_slot("branch", "Kisumu") == preferred_slot("branch", "Kisumu")
    code = "from components.theme import preferred_slot; print(preferred_slot('branch', 'Kisumu'))"
    seeds = {subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONHASHSEED": s},
                            capture_output=True, text=True, check=True).stdout.strip() for s in ("1", "2", "3")}
    assert seeds == {str(preferred_slot("branch", "Kisumu"))}


def test_a_store_that_cannot_be_written_keeps_colours_in_memory(tmp_path):
    (tmp_path / f"{REGISTRY_FILE}.lock").mkdir()  # the lock cannot be opened, even by root
    registry = ColorRegistry(tmp_path / REGISTRY_FILE)
    first = registry.colors("branch", BRANCHES)
    assert registry.colors("branch", [*BRANCHES, "Kisumu"])["Mombasa"] == first["Mombasa"]
    assert not (tmp_path / REGISTRY_FILE).exists()
