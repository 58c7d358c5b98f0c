from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import host_files


def test_a_template_makes_the_file_named_without_j2():
    assert host_files.name_from_template("dbaas-backup.service.j2") == "dbaas-backup.service"
    assert host_files.name_from_template("sub/dbaas-backup.j2") == "dbaas-backup"


@pytest.mark.parametrize("template", ["dbaas-backup.sh", ".j2", "dir/.j2"])
def test_a_template_not_named_after_its_file_is_refused(template):
    with pytest.raises(ValueError, match="not named"):
        host_files.name_from_template(template)


def test_a_source_keeps_its_base_name():
    assert host_files.name_from_source("/collection/plugins/module_utils/ha.py") == "ha.py"
    with pytest.raises(ValueError):
        host_files.name_from_source("/")


def test_two_files_of_one_name_are_refused_not_overwritten():
    files = {}
    host_files.add_file(files, "ha.py", "one")
    with pytest.raises(ValueError, match="both named ha.py"):
        host_files.add_file(files, "ha.py", "two")
    assert files == {"ha.py": "one"}


@pytest.mark.parametrize("name", ["", ".", "..", "../etc/passwd", "a/b"])
def test_a_name_outside_the_directory_is_refused(name):
    with pytest.raises(ValueError, match="not a file name"):
        host_files.add_file({}, name, "x")


def test_only_files_whose_content_differs_are_written():
    wanted = {"same": "kept\n", "changed": "new\n", "missing": "made\n", "ünïcode": "é\n"}
    current = {"same": b"kept\n", "changed": b"old\n", "missing": None, "ünïcode": "é\n".encode("utf-8")}
    assert host_files.files_to_write(wanted, current) == ["changed", "missing"]


def test_a_trailing_newline_counts_as_content():
    assert host_files.files_to_write({"unit": "x\n"}, {"unit": b"x"}) == ["unit"]


def test_the_diff_of_a_new_file_says_it_was_absent():
    diff = host_files.content_diff("/etc/a", None, "after\n")
    assert diff == {"before_header": "/etc/a (absent)", "after_header": "/etc/a", "before": "", "after": "after\n"}


def test_the_diff_of_a_changed_file_shows_both_contents():
    diff = host_files.content_diff("/etc/a", b"before\n", "after\n")
    assert (diff["before"], diff["after"], diff["before_header"]) == ("before\n", "after\n", "/etc/a")


def test_files_to_remove_are_named_once_in_order():
    assert host_files.names_to_remove(["b.key", "a.json", "b.key"], {"c.conf": "x"}) == ["a.json", "b.key"]


def test_a_file_both_given_and_to_remove_is_refused():
    with pytest.raises(ValueError, match="both given and to remove"):
        host_files.names_to_remove(["a.conf"], {"a.conf": "x"})


def test_a_removal_outside_the_directory_is_refused():
    with pytest.raises(ValueError, match="not a file name"):
        host_files.names_to_remove(["../credentials"], {})


def test_the_diff_of_a_removal_shows_no_content():
    assert host_files.removal_diff("/etc/dbaas/key") == {
        "before": {"path": "/etc/dbaas/key", "state": "file"}, "after": {"path": "/etc/dbaas/key", "state": "absent"}}
