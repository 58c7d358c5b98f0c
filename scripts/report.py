"""What a test run spent its time on: each stage's wall time (scripts/test writes one
"name<TAB>seconds<TAB>outcome" line a stage into STAGES) and the slowest tests of every
pytest run that wrote a JUnit XML file into the same directory, and what the integration
tests' ansible runs cost the controller (tests/integration/conftest.py writes
"test<TAB>run<TAB>wall<TAB>cpu" lines into ansible-runs-*.tsv).

    python scripts/report.py .build/report [--slowest 15]
"""

from __future__ import annotations

import argparse
import sys
from xml.etree import ElementTree
from pathlib import Path


def stages(directory: Path) -> list[tuple[str, float, str, int | None]]:
    """(name, wall seconds, outcome, the machine's CPU busy percent meanwhile or None)."""
    path = directory / "stages.tsv"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        name, seconds, outcome, *busy = line.split("\t")
        rows.append((name, float(seconds), outcome, int(busy[0]) if busy else None))
    return rows


def test_times(directory: Path) -> list[tuple[float, str, str]]:
    """(seconds, test id, lane) for every test case of every JUnit file, setup and teardown included."""
    cases = []
    for path in sorted(directory.glob("junit-*.xml")):
        lane = path.stem[len("junit-"):]
        for case in ElementTree.parse(path).getroot().iter("testcase"):
            test_id = "%s::%s" % (case.get("classname", "").replace(".", "/") + ".py", case.get("name"))
            cases.append((float(case.get("time") or 0), test_id, lane))
    return sorted(cases, reverse=True)


def ansible_runs(directory: Path) -> list[tuple[str, str, float, float]]:
    runs = []
    for path in sorted(directory.glob("ansible-runs-*.tsv")):
        for line in path.read_text().splitlines():
            test, name, wall, cpu = line.split("\t")
            runs.append((test, name, float(wall), float(cpu)))
    return runs


def by_run_name(runs: list[tuple[str, str, float, float]]) -> list[tuple[float, float, int, str]]:
    """(CPU seconds, wall seconds, count, run name), the costliest first."""
    totals: dict[str, list] = {}
    for _test, name, wall, cpu in runs:
        total = totals.setdefault(name, [0.0, 0.0, 0])
        total[0] += cpu
        total[1] += wall
        total[2] += 1
    return sorted(((cpu, wall, count, name) for name, (cpu, wall, count) in totals.items()), reverse=True)


def minutes(seconds: float) -> str:
    return "%d:%02d" % divmod(round(seconds), 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--slowest", type=int, default=15)
    arguments = parser.parse_args()
    rows = stages(arguments.directory)
    if rows:
        width = max(len(name) for name, _seconds, _outcome, _busy in rows)
        print("Stage wall times, in the order they ended (a stage marked beside another ran at the same time),")
        print("and how busy the machine's CPUs were meanwhile:")
        for name, seconds, outcome, busy in rows:
            print("  %-*s  %7s  %4s  %s" % (width, name, minutes(seconds), "" if busy is None else "%d%%" % busy, outcome))
    cases = test_times(arguments.directory)
    if cases:
        print("The %d slowest tests (setup and teardown included), of %d:" % (min(arguments.slowest, len(cases)), len(cases)))
        for seconds, test_id, lane in cases[:arguments.slowest]:
            print("  %7.1f s  %-10s %s" % (seconds, lane, test_id))
    runs = ansible_runs(arguments.directory)
    if runs:
        print("The integration tests' %d ansible runs took %s of controller CPU; the costliest kinds:"
              % (len(runs), minutes(sum(cpu for _test, _name, _wall, cpu in runs))))
        for cpu, wall, count, name in by_run_name(runs)[:arguments.slowest]:
            print("  %7s CPU  %7s wall  %3d x  %s" % (minutes(cpu), minutes(wall), count, name))
    if not rows and not cases:
        sys.exit("nothing to report in %s" % arguments.directory)


if __name__ == "__main__":
    main()
