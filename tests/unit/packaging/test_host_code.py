"""The code the roles install on hosts runs without Ansible: each role's scripts import only
the module_utils its vars list (`__<role>_host_code`), and none of them imports Ansible.

Each script is imported in a fresh interpreter from a directory that holds only the files the
role installs, with `ansible` and `ansible_collections` made unimportable, as on a host. The
packages the hosts have and this venv may not (barman, inside barman-cloud's venv) are
stand-ins here; everything else is the real thing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
MODULE_UTILS = ROOT / "plugins" / "module_utils"
HOST_ONLY_PACKAGES = ["barman", "barman.clients", "barman.clients.cloud_walarchive", "barman.cloud_providers"]

IMPORT_AS_ON_A_HOST = r"""
import importlib, importlib.abc, sys, types

class NoAnsible(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("ansible", "ansible_collections"):
            raise ImportError("host code imported %s" % name)
        return None

sys.meta_path.insert(0, NoAnsible())
for name in sys.argv[3].split(","):
    try:
        importlib.import_module(name)
    except ImportError:
        stand_in = types.ModuleType(name)
        stand_in.__path__ = []
        stand_in.__getattr__ = lambda attribute: object
        sys.modules[name] = stand_in
sys.path.insert(0, sys.argv[1])
importlib.import_module(sys.argv[2])
imported = sorted(name for name, module in sys.modules.items()
                  if isinstance(getattr(module, "__file__", None), str) and module.__file__.startswith(sys.argv[1]))
print(",".join(imported))
"""


def host_code() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(ROOT.glob("roles/*/vars/main.yml")):
        role = path.parts[-3]
        listed = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("__%s_host_code" % role)
        if listed:
            found.append((role, listed))
    return found


def test_every_role_with_scripts_lists_its_host_code():
    listed = {role for role, _code in host_code()}
    with_scripts = {path.parts[-3] for path in ROOT.glob("roles/*/files/*.py")}
    assert with_scripts and with_scripts <= listed, with_scripts - listed


@pytest.mark.parametrize("role, code", host_code(), ids=[role for role, _code in host_code()])
def test_host_scripts_import_only_what_their_role_installs_and_nothing_from_ansible(tmp_path, role, code):
    for name in code["scripts"]:
        shutil.copy(ROOT / "roles" / role / "files" / name, tmp_path / name)
    for name in code["module_utils"]:
        shutil.copy(MODULE_UTILS / name, tmp_path / name)
    used = set()
    for name in code["scripts"]:
        script = name[:-len(".py")]
        result = subprocess.run([sys.executable, "-c", IMPORT_AS_ON_A_HOST, str(tmp_path), script, ",".join(HOST_ONLY_PACKAGES)],
                                capture_output=True, text=True, check=False, cwd=tmp_path)
        assert result.returncode == 0, "%s/%s on a host: %s" % (role, name, result.stderr[-2000:])
        used.update(result.stdout.strip().split(","))
    unused = {name[:-len(".py")] for name in code["module_utils"]} - used
    assert not unused, "%s installs module_utils no script imports: %s" % (role, sorted(unused))
