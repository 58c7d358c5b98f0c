"""The generated reference pages (docs/variables.md, docs/playbooks.md) match their sources:
roles' argument_specs and playbooks' header comments are written once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_generated_docs_are_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "docs.py"), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_every_role_and_playbook_is_in_the_reference():
    variables = (ROOT / "docs" / "variables.md").read_text()
    playbooks = (ROOT / "docs" / "playbooks.md").read_text()
    assert all(re.search(rf"^## {role.name}( \(tasks_from: [a-z_]+\.yml\))?$", variables, re.MULTILINE)
               for role in (ROOT / "roles").iterdir() if (role / "meta" / "argument_specs.yml").exists())
    assert all(f"## {path.stem}\n" in playbooks for path in (ROOT / "playbooks").glob("*.yml"))


def test_the_readme_stays_short_and_links_every_doc_page_that_exists():
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", readme))
    assert len(readme.splitlines()) <= 80
    assert linked == {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}


def test_links_between_doc_pages_resolve():
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([\w.-]+\.md)\)", page.read_text()):
            assert (ROOT / "docs" / target).exists(), (page.name, target)
