# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dbaas-rejoin-nudge: lets Patroni's automatic rejoin finish on an idle cluster.

pg_rewind makes a rewound member wait, before it takes connections, for WAL up to where
the leader was inserting during the rewind. A leader that sits idle at a segment boundary
(archive_timeout has just switched) writes none, and the old leader stays "starting" until
some client writes. Every few seconds this asks the local Patroni for the cluster; while
this member leads and another is "starting", it writes one logical message, the smallest
WAL record there is (no decoder reads it). It detects nothing and decides nothing:
Patroni's view says who leads and who waits.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ha import members_waiting_for_wal  # noqa: E402  (copied next to this file)

MESSAGE = "SELECT pg_logical_emit_message(false, 'thalassa.dbaas', 'a member waits for WAL')"


def cluster(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=3) as answer:
        return json.load(answer)


def write_a_message(port: str) -> None:
    subprocess.run(["psql", "-h", "/var/run/postgresql", "-p", port, "-XAtqc", MESSAGE],
                   env=dict(os.environ, PGCONNECT_TIMEOUT="3"), timeout=15, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    me = os.environ["DBAAS_NUDGE_MEMBER"]
    url = "http://127.0.0.1:%s/cluster" % os.environ.get("DBAAS_NUDGE_RESTAPI_PORT", "8008")
    port = os.environ.get("DBAAS_NUDGE_PGPORT", "5432")
    interval = float(os.environ.get("DBAAS_NUDGE_INTERVAL", "5"))
    said = None
    while True:
        try:
            waiting = members_waiting_for_wal(cluster(url), me)
            if waiting:
                write_a_message(port)
            news = "waiting for WAL: %s" % (", ".join(waiting) or "no member")
        except (OSError, ValueError, subprocess.SubprocessError) as error:
            # Patroni or PostgreSQL not answering is Patroni's business: ask again later.
            news = "not now: %s" % error
        if news != said:  # say what changed, not the same line every few seconds
            print(news, flush=True)
            said = news
        time.sleep(interval)


if __name__ == "__main__":
    main()
