# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dbaas-etcd-leader-away: keeps etcd's raft leader off the host where Patroni's leader runs.

When one host carries both leaders and dies, etcd first elects a new leader, and a new etcd
leader renews every lease in full, the lock of the dead Patroni leader with them: the
failover then waits seconds longer than ttl. Every few seconds, while this member leads,
this asks the etcd members for their status and, when etcd's leader is on this host, asks
etcd to hand its leadership to a member on another host (etcd's own MoveLeader). It detects
no failure and decides no failover: Patroni's view says who leads, etcd moves its leader.
"""

import json
import os
import ssl
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ha import etcd_leadership_target, leads  # noqa: E402  (copied next to this file)


def tls_context():
    if os.environ.get("DBAAS_ETCD_PROTOCOL", "http") != "https":
        return None
    context = ssl.create_default_context(cafile=os.environ.get("DBAAS_ETCD_CACERT") or None)
    if os.environ.get("DBAAS_ETCD_CERT"):
        context.load_cert_chain(os.environ["DBAAS_ETCD_CERT"], os.environ.get("DBAAS_ETCD_KEY") or None)
    return context


def post(url: str, body: dict, context) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=3, context=context) as answer:
        return json.load(answer)


def statuses(client_urls: list, context) -> dict:
    """Client URL -> status, for the etcd members that answer."""
    answers = {}
    for url in client_urls:
        try:
            answers[url] = post(url + "/v3/maintenance/status", {}, context)
        except (OSError, ValueError):
            pass  # a member that does not answer cannot take the leadership
    return answers


def i_lead(cluster_url: str, me: str) -> bool:
    with urllib.request.urlopen(cluster_url, timeout=3) as answer:
        return leads(json.load(answer), me)


def keep_etcd_leader_away(cluster_url: str, me: str, client_urls: list, my_host: str, context) -> str:
    """One look, and one move when needed; returns what it saw or did."""
    if not i_lead(cluster_url, me):
        return "this member does not lead"
    answers = statuses(client_urls, context)
    target = etcd_leadership_target(answers, my_host)
    if target is None:
        return "this member leads; etcd's leader stays where it is (%d of %d etcd members answered)" % (
            len(answers), len(client_urls))
    leader_url, member_id = target
    post(leader_url + "/v3/maintenance/transfer-leadership", {"targetID": member_id}, context)
    return "moved etcd's leader from this host to member %s at %s" % (member_id, time.strftime("%H:%M:%S"))


def main() -> None:
    me = os.environ["DBAAS_MEMBER"]
    my_host = os.environ["DBAAS_HOST"]
    cluster_url = "http://127.0.0.1:%s/cluster" % os.environ.get("DBAAS_RESTAPI_PORT", "8008")
    scheme = os.environ.get("DBAAS_ETCD_PROTOCOL", "http")
    client_urls = ["%s://%s" % (scheme, host) for host in os.environ["DBAAS_ETCD_HOSTS"].split(",") if host]
    interval = float(os.environ.get("DBAAS_INTERVAL", "5"))
    context = tls_context()
    said = None
    while True:
        try:
            news = keep_etcd_leader_away(cluster_url, me, client_urls, my_host, context)
        except (OSError, ValueError) as error:
            # Patroni or etcd not answering is their business: ask again later.
            news = "not now: %s" % error
        if news != said:
            print(news, flush=True)
            said = news
        time.sleep(interval)


if __name__ == "__main__":
    main()
