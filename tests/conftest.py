"""Make this checkout importable as ansible_collections.thalassa.dbaas.

The tests import the collection's Python code by its collection name, exactly as Ansible
does. A checkout is not laid out as ansible_collections/thalassa/dbaas, so link one up in
.build/ (ignored by git) and put it first on sys.path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _collection_root() -> Path:
    root = REPO_ROOT / ".build" / "dev"
    link = root / "ansible_collections" / "thalassa" / "dbaas"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(REPO_ROOT, link)
        except FileExistsError:  # another lane's pytest process made it meanwhile
            pass
    return root


if "ansible_collections.thalassa.dbaas" not in sys.modules:
    sys.path.insert(0, str(_collection_root()))
