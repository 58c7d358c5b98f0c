"""Shared helpers for tests that run playbooks on the lab (scripts/lab up).

Every test here uses the one lab that scripts/test brings up; none starts its own.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import os
import resource
import subprocess
import time
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LAB_INVENTORY = Path(os.environ.get("LAB_STATE_DIR", REPO_ROOT / ".lab")) / "inventory"


# Lanes: the integration tests run in two lanes side by side, one pytest process per lab
# cluster (scripts/test: --lanes demo beside --lanes solo), each lane the only one that
# touches its cluster; then the tests that need the whole lab (both clusters steady, a shared
# store paused, or no host of either cluster changing), beside only the role scenarios,
# which have containers and a store of their own. Every test names its lane,
# the module's marker unless the test's own says otherwise. (Not pytest-xdist: with
# --dist loadgroup, this venv's xdist 3.8 ran tests of one xdist_group on two workers at
# once, so a lane's tests raced each other on its cluster.)
LANES = ("lane_demo", "lane_solo", "whole_lab")


def pytest_configure(config):
    config.addinivalue_line("markers", "rebuilds_clusters: restores clusters in place; runs after every other test of its lane")
    config.addinivalue_line("markers", "bulk_load: writes hundreds of MB of WAL; runs last, so restores need not replay it")
    config.addinivalue_line("markers", "lane_demo: touches only the demo cluster (and stores or buckets of its own)")
    config.addinivalue_line("markers", "lane_solo: touches only the solo cluster and the drill host (and stores or buckets of its own)")
    config.addinivalue_line("markers", "whole_lab: needs both clusters steady or pauses a shared store; runs after the lanes, beside only the role scenarios")


def pytest_addoption(parser):
    parser.addoption("--lanes", default="", help="run only the tests of these lanes, comma-separated: "
                                                 "demo, solo, whole_lab (default: every lane)")


def lane_of(item) -> str:
    """The closest lane marker: a test's own, else its module's."""
    for marker in item.iter_markers():
        if marker.name in LANES:
            return marker.name
    raise pytest.UsageError("%s names no lane: mark it (or its module) with one of %s" % (item.nodeid, ", ".join(LANES)))


def pytest_collection_modifyitems(config, items):
    """Only the lanes asked for (--lanes); tests that rebuild clusters (restores) run last in
    their lane, so no other test sees their aftermath; bulk loads after them, so no restore
    downloads or replays their WAL."""
    wanted = {name if name == "whole_lab" else "lane_" + name
              for name in config.getoption("--lanes").split(",") if name}
    unknown = wanted - set(LANES)
    if unknown:
        raise pytest.UsageError("--lanes knows demo, solo and whole_lab, not %s" % ", ".join(sorted(unknown)))
    selected, deselected = [], []
    for item in items:
        lane = lane_of(item)
        (selected if not wanted or lane in wanted else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    items.sort(key=lambda item: (item.get_closest_marker("bulk_load") is not None,
                                 item.get_closest_marker("rebuilds_clusters") is not None))


class PlaybookRun:
    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.rc = completed.returncode
        self.stdout = completed.stdout  # what a callback prints; warnings go to stderr
        self.output = completed.stdout + completed.stderr

    def recap(self) -> dict[str, dict[str, int]]:
        """PLAY RECAP counters per host, e.g. {'pg1': {'ok': 3, 'changed': 0, ...}}."""
        counters = {}
        in_recap = False
        for line in self.output.splitlines():
            if line.startswith("PLAY RECAP"):
                in_recap = True
                continue
            if in_recap and re.match(r"^\S+\s+: ok=", line):  # stderr may follow, with its own colons
                host, _separator, rest = line.partition(":")
                counters[host.strip()] = {
                    key: int(value) for key, value in (pair.split("=") for pair in rest.split())
                }
        return counters


def controller_cpu_seconds() -> float:
    """CPU seconds of every child this process has reaped (an ansible run and its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def record_ansible_run(name: str, wall: float, cpu: float) -> None:
    """One line per ansible run into the test report (scripts/test sets THALASSA_TEST_REPORT):
    which test ran what, its wall time and the controller's CPU seconds for it."""
    directory = os.environ.get("THALASSA_TEST_REPORT")
    if not directory:
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
    with open(Path(directory) / ("ansible-runs-%d.tsv" % os.getpid()), "a", encoding="utf-8") as log:
        log.write("%s\t%s\t%.1f\t%.1f\n" % (test, name, wall, cpu))


def timed_run(name: str, command: list[str], **kwargs) -> subprocess.CompletedProcess:
    wall, cpu = time.monotonic(), controller_cpu_seconds()
    try:
        return subprocess.run(command, check=False, **kwargs)
    finally:
        record_ansible_run(name, time.monotonic() - wall, controller_cpu_seconds() - cpu)


def run_name(playbook: str, extra_args: tuple[str, ...]) -> str:
    """The playbook and its --limit, --tags, --check and -vvv, which set what a run costs."""
    words, arguments = [playbook], list(extra_args)
    for index, argument in enumerate(arguments):
        if argument in ("--limit", "--tags") and index + 1 < len(arguments):
            words += [argument, arguments[index + 1]]
        elif argument in ("--check", "-vvv"):
            words.append(argument)
    return " ".join(words)


def run_playbook(playbook: str, inventory: Path, *extra_args: str, env: dict | None = None) -> PlaybookRun:
    command = ["ansible-playbook", "-i", str(inventory), f"thalassa.dbaas.{playbook}", *extra_args]
    completed = timed_run(
        run_name(playbook, extra_args),
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", **(env or {})},
        timeout=1200,
    )
    return PlaybookRun(completed)


def run_module(module: str, arguments: dict, diff: bool = False) -> dict:
    """Runs thalassa.dbaas.<module> once on the controller; returns its result (with diff: its --diff too)."""
    completed = timed_run(
        "module " + module,
        ["ansible", "localhost", "-m", f"thalassa.dbaas.{module}", "-a", json.dumps(arguments)] + (["--diff"] if diff else []),
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
             "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_LOCALHOST_WARNING": "0"},
    )
    events = json.loads(completed.stdout[completed.stdout.index("{"):])
    return events["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture(scope="session")
def lab_inventory() -> Path:
    if not (LAB_INVENTORY / "hosts.yml").exists():
        pytest.fail("the lab is not up: run scripts/lab up (scripts/test does it for you)")
    return LAB_INVENTORY


@pytest.fixture(scope="session")
def lab_inventory_data(lab_inventory: Path) -> dict:
    return yaml.safe_load((lab_inventory / "hosts.yml").read_text())


@pytest.fixture(scope="session")
def lab_secrets(lab_inventory: Path) -> dict:
    """Patroni passwords, the DBaaS key on the lab's S3 endpoint and the customer's read-only key."""
    secrets = {}
    for name in ("secrets.yml", "object_store_credentials.yml", "reader_credentials.yml"):
        secrets.update(yaml.safe_load((lab_inventory / "group_vars" / "all" / name).read_text()))
    return secrets


@pytest.fixture(scope="session")
def lab_store_settings(lab_inventory: Path) -> dict:
    """The lab's main store as its inventory declares it (https, with the lab's own CA)."""
    return yaml.safe_load((lab_inventory / "group_vars" / "all" / "object_store.yml").read_text())


@pytest.fixture(scope="session")
def lab_store_ca(lab_store_settings: dict) -> str:
    """The CA file (on the controller) that signed the main store's certificate."""
    return lab_store_settings["backup_object_store_ca_bundle"]


@pytest.fixture(scope="session")
def lab_s3(lab_store_settings: dict, lab_secrets: dict):
    """A boto3 client for the lab's S3 endpoint, with the DBaaS key."""
    import boto3  # pylint: disable=import-outside-toplevel

    return boto3.client(
        "s3", endpoint_url=lab_store_settings["backup_object_store_endpoint_url"], region_name="us-east-1",
        aws_access_key_id=lab_secrets["backup_object_store_access_key"],
        aws_secret_access_key=lab_secrets["backup_object_store_secret_key"],
        verify=lab_store_settings["backup_object_store_ca_bundle"],
    )


@pytest.fixture(scope="session")
def lab_offsite(lab_inventory: Path) -> dict:
    """The lab's second endpoint (a store "outside the cloud"): its settings, key and a client."""
    import boto3  # pylint: disable=import-outside-toplevel

    store = yaml.safe_load((lab_inventory / "group_vars" / "all" / "offsite_store.yml").read_text())["lab_offsite_store"]
    client = boto3.client(
        "s3", endpoint_url=store["endpoint_url"], region_name=store["region"],
        aws_access_key_id=store["access_key"], aws_secret_access_key=store["secret_key"], verify=store["ca_bundle"],
    )
    return {**store, "client": client}


@pytest.fixture
def make_inventory(tmp_path: Path, lab_inventory: Path, lab_inventory_data: dict):
    """Write a variant of the lab inventory: edit(data) changes its hosts.yml content, and
    group_vars ({group: {variable: value}}) adds group_vars/<group>.yml files, which (unlike
    group vars in hosts.yml) take precedence over the lab's group_vars/all."""

    def make(edit=None, group_vars: dict | None = None) -> Path:
        data = copy.deepcopy(lab_inventory_data)
        if edit:
            edit(data)
        directory = tmp_path / "inventory"
        directory.mkdir()
        (directory / "hosts.yml").write_text(yaml.safe_dump(data))
        shutil.copytree(lab_inventory / "group_vars", directory / "group_vars")
        for group, variables in (group_vars or {}).items():
            # Ansible reads group_vars/<group>/ or group_vars/<group>.yml, not both.
            target = directory / "group_vars" / group
            path = target / "test.yml" if target.is_dir() else directory / "group_vars" / f"{group}.yml"
            path.write_text(yaml.safe_dump(variables))
        return directory

    return make


def lab_hosts(inventory_data: dict, cluster: str | None = None) -> list[str]:
    """The members of every lab cluster, or of one."""
    clusters = inventory_data["all"]["children"]["dbaas_clusters"]["children"]
    return sorted(host for name, group in clusters.items() if cluster in (None, name) for host in group["hosts"])


def host_fingerprint(host: str) -> str:
    """What a deploy writes or restarts on a host: config files' checksums and mtimes, when
    each service and PostgreSQL's postmaster (which Patroni restarts without restarting
    itself) last started."""
    script = (
        "for f in /etc/patroni/config.yml /etc/patroni/secrets.env /etc/default/etcd "
        "/etc/systemd/system/patroni.service /etc/postgresql-dbaas/tls/server.crt "
        "/etc/barman-cloud/settings.json /etc/barman-cloud/credentials /etc/systemd/system/dbaas-backup.timer "
        "/etc/haproxy/haproxy.cfg /etc/keepalived/keepalived.conf /etc/pgbouncer/pgbouncer.ini; do "
        "[ -e $f ] && stat -c '%n %Y %s' $f && sha256sum $f; done; "
        "systemctl show -p Id -p ExecMainStartTimestamp etcd patroni haproxy keepalived pgbouncer; "
        "[ -S /var/run/postgresql/.s.PGSQL.5432 ] && "
        "su postgres -c \"psql -h /var/run/postgresql -XAtc 'SELECT pg_postmaster_start_time()'\"; true"
    )
    completed = subprocess.run(
        ["docker", "exec", host, "sh", "-c", script], capture_output=True, text=True, check=True
    )
    return completed.stdout


@pytest.fixture
def untouched(request, lab_inventory_data):
    """Asserts, after the test body, that no deployed file changed on the hosts of the test's
    lane: its cluster's members, or every lab host for a whole_lab test (the other lane's
    cluster changes meanwhile by design; a test whose run targets more than its own cluster
    belongs to whole_lab)."""
    lane = lane_of(request.node)
    hosts = lab_hosts(lab_inventory_data, None if lane == "whole_lab" else lane[len("lane_"):])
    before = {host: host_fingerprint(host) for host in hosts}
    yield
    assert {host: host_fingerprint(host) for host in hosts} == before


def docker_exec(host: str, *command: str, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Runs a command on a lab host; with check, a failure says what the command printed."""
    prefix = ["docker", "exec"] + (["-u", user] if user else []) + [host]
    completed = subprocess.run(prefix + list(command), capture_output=True, text=True, check=False, timeout=600)
    if check and completed.returncode != 0:
        printed = (completed.stderr or completed.stdout).strip()[-1500:]
        raise AssertionError("on %s, %s exited %d: %s" % (host, " ".join(command)[:300], completed.returncode, printed))
    return completed


def psql(host: str, sql: str) -> str:
    return docker_exec(host, "psql", "-h", "/var/run/postgresql", "-XAtc", sql, user="postgres").stdout.strip()


def host_ip(host: str) -> str:
    """The lab address of a host."""
    return docker_exec(host, "hostname", "-I").stdout.split()[0]


def archive_now(host: str) -> None:
    """Switch WAL on host and wait until the store holds the segment."""
    segment = psql(host, "SELECT pg_walfile_name(pg_switch_wal())")
    for _attempt in range(60):
        if psql(host, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= segment:
            return
        time.sleep(1)
    pytest.fail(f"{segment} of {host} did not reach the store in 60 s")


def archive_server(host: str) -> str:
    """The server name a member archives under now (its cluster's name until a restore)."""
    return json.loads(docker_exec(host, "cat", "/etc/barman-cloud/settings.json").stdout)["server_name"]


def status_json(lab_inventory, cluster: str | None = None) -> dict:
    """status.yml -e status_format=json, parsed: cluster name -> its state. A test in a lane
    asks for its own cluster only: the other lane may have a host of its cluster down."""
    run = run_playbook(
        "status", lab_inventory, "-e", "status_format=json", *(["--limit", cluster] if cluster else []),
        env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"},
    )
    assert run.rc == 0, run.output
    events = json.loads(run.stdout[run.stdout.index("{"):])
    messages = [
        result["msg"]
        for play in events["plays"]
        for task in play["tasks"]
        if task["task"]["name"] == "Print the state of every cluster as JSON"
        for result in task["hosts"].values()
        if "msg" in result
    ]
    assert len(messages) == 1, messages
    return json.loads(messages[0])["clusters"]


def cluster_roles(host: str) -> dict[str, str]:
    """member name -> Patroni role, as the member on `host` sees the cluster."""
    answer = json.loads(docker_exec(host, "curl", "-sf", "http://127.0.0.1:8008/cluster").stdout)
    return {member["name"]: member["role"] for member in answer["members"]}
