#!/usr/bin/env bash
# WAL archiving under load on the lab's demo cluster, and the time of a base backup.
# Prints figures, asserts nothing. Needs a deployed lab with the cluster demo: scripts/demo's
# or scripts/test's (CLUSTER=solo measures the other cluster of scripts/test's lab).
#
#   [CLUSTER=demo] benchmarks/wal_archive_throughput.sh [CLIENTS] [SECONDS] [SCALE]
#
# Baseline, in the same run: the rate at which pgbench makes WAL segments. The archiver
# keeps up when archived/s over made/s is 1.0 or more and the backlog at the end is small.
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
CLIENTS=${1:-4}
DURATION=${2:-60}
SCALE=${3:-20}
mapfile -t MEMBERS < <(python3 "$(dirname "${BASH_SOURCE[0]}")/lab.py" members "${CLUSTER:-demo}")
[ ${#MEMBERS[@]} -gt 0 ] || exit 1

leader=""
for member in "${MEMBERS[@]}"; do
  if [ "$(docker exec "$member" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8008/primary)" = 200 ]; then
    leader=$member
  fi
done
[ -n "$leader" ] || { echo "no leader among ${MEMBERS[*]}: is the lab deployed?" >&2; exit 1; }

sql() { docker exec -u postgres "$leader" psql -h /var/run/postgresql -XAtc "$1" "${2:-postgres}"; }
segment_number() {  # WAL file name -> segment number (16 MB segments)
  local name=$1
  echo $(( 16#${name:8:8} * 256 + 16#${name:16:8} ))
}
current_segment() { sql "SELECT pg_walfile_name(pg_current_wal_lsn())"; }
archived_count() { sql "SELECT archived_count FROM pg_stat_archiver"; }
last_archived() { sql "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"; }

echo "leader: $leader; pgbench -c $CLIENTS -T $DURATION, scale $SCALE"

started=$(date +%s.%N)
docker exec -u postgres "$leader" /usr/local/bin/dbaas-backup >/dev/null
ended=$(date +%s.%N)
size=$(sql "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database")
printf 'base backup of the cluster (%s): %.1f s\n' "$size" "$(echo "$ended - $started" | bc)"

wait_archived_up_to() {  # waits until the archiver has segment number $1
  until [ -n "$(last_archived)" ] && [ "$(segment_number "$(last_archived)")" -ge "$1" ]; do sleep 0.5; done
}

# Bulk load: pgbench -i makes WAL far faster than one segment at a time can be archived;
# the time to archive that backlog gives the archiver's own rate.
sql "DROP DATABASE IF EXISTS bench" >/dev/null 2>&1
sql "CREATE DATABASE bench" >/dev/null
wait_archived_up_to "$(( $(segment_number "$(current_segment)") - 1 ))"
load_first=$(segment_number "$(current_segment)")
load_started=$(date +%s.%N)
docker exec -u postgres "$leader" /usr/lib/postgresql/15/bin/pgbench -h /var/run/postgresql -i -q -s "$SCALE" bench >/dev/null 2>&1
load_loaded=$(date +%s.%N)
load_last=$(segment_number "$(current_segment)")
sql "SELECT pg_switch_wal()" >/dev/null
wait_archived_up_to "$load_last"
load_archived=$(date +%s.%N)
load_segments=$((load_last - load_first + 1))
printf 'bulk load (pgbench -i -s %s): %d segments made in %.1f s (%.2f/s); all archived %.1f s after the start (%.2f segments/s)\n' \
  "$SCALE" "$load_segments" "$(echo "$load_loaded - $load_started" | bc)" \
  "$(echo "$load_segments / ($load_loaded - $load_started)" | bc -l)" \
  "$(echo "$load_archived - $load_started" | bc)" "$(echo "$load_segments / ($load_archived - $load_started)" | bc -l)"
printf 'archive lag behind the load: %.1f s\n' "$(echo "$load_archived - $load_loaded" | bc)"

first_segment=$(segment_number "$(current_segment)")
first_archived=$(archived_count)
docker exec -u postgres "$leader" /usr/lib/postgresql/15/bin/pgbench -h /var/run/postgresql \
  -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -n bench > /tmp/pgbench.out 2>&1
run_end_segment=$(segment_number "$(current_segment)")
run_end_archived=$(archived_count)
made=$((run_end_segment - first_segment))
archived=$((run_end_archived - first_archived))
tps=$(grep -oE 'tps = [0-9.]+' /tmp/pgbench.out | head -1 | cut -d' ' -f3)

sql "SELECT pg_switch_wal()" >/dev/null
drain_started=$(date +%s)
wait_archived_up_to "$run_end_segment"
drain=$(( $(date +%s) - drain_started ))

echo "pgbench: $tps tps"
printf 'WAL segments made during the run: %d (%.2f/s)  <- baseline\n' "$made" "$(echo "$made / $DURATION" | bc -l)"
printf 'WAL segments archived during the run: %d (%.2f/s)\n' "$archived" "$(echo "$archived / $DURATION" | bc -l)"
printf 'archived/made: %.2f\n' "$(echo "$archived / ($made + 0.000001)" | bc -l)"
echo "backlog at the end of the run: $((made - archived)) segments; drained in ${drain} s"
echo "archive failures so far: $(sql "SELECT failed_count FROM pg_stat_archiver")"
sql "DROP DATABASE bench" >/dev/null
