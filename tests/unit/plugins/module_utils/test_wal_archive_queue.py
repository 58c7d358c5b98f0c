from __future__ import annotations

from ansible_collections.thalassa.dbaas.plugins.module_utils import wal_archive_queue as queue

SEG_1 = "000000010000000000000001"
SEG_2 = "000000010000000000000002"
SEG_3 = "000000010000000000000003"
OLD_PARTIAL = "000000010000000000000004.partial"
NEW_SEG = "000000020000000000000004"
HISTORY = "00000002.history"
LABEL = "000000010000000000000002.00000028.backup"


def test_ready_names_keep_wal_files_and_drop_everything_else():
    entries = [SEG_1 + ".ready", SEG_2 + ".done", HISTORY + ".ready", "junk.ready", LABEL + ".ready",
               OLD_PARTIAL + ".ready", "0000000100000000000000.ready", SEG_3 + ".ready.tmp"]
    assert sorted(queue.ready_names(entries)) == sorted([SEG_1, HISTORY, LABEL, OLD_PARTIAL])


def test_history_files_first_then_older_timelines_then_position():
    ready = [NEW_SEG, SEG_2, OLD_PARTIAL, HISTORY, LABEL, SEG_1]
    assert sorted(ready, key=queue.archive_key) == [HISTORY, SEG_1, SEG_2, LABEL, OLD_PARTIAL, NEW_SEG]


def test_wanted_files_go_first_then_ready_ones_ahead_up_to_the_free_slots():
    chosen = queue.next_uploads(ready=[SEG_1, SEG_2, SEG_3], wanted=[SEG_3], in_flight=[], vouched=[], slots=2)
    assert chosen == [SEG_3, SEG_1]


def test_files_uploading_or_vouched_for_are_not_started_again_unless_asked_for():
    chosen = queue.next_uploads(ready=[SEG_1, SEG_2, SEG_3], wanted=[], in_flight=[SEG_1], vouched=[SEG_2], slots=4)
    assert chosen == [SEG_3]
    asked_again = queue.next_uploads(ready=[SEG_2], wanted=[SEG_2], in_flight=[], vouched=[SEG_2], slots=4)
    assert asked_again == [SEG_2]
    assert queue.next_uploads(ready=[SEG_1], wanted=[SEG_1], in_flight=[SEG_1], vouched=[], slots=4) == []


def test_no_free_slot_starts_nothing():
    assert queue.next_uploads(ready=[SEG_1], wanted=[SEG_2], in_flight=[SEG_3], vouched=[], slots=0) == []


def test_markers_are_parsed_by_kind_and_anything_else_is_ignored():
    assert queue.marker_wal_name(SEG_1 + ".ok") == (SEG_1, queue.DONE_MARKER)
    assert queue.marker_wal_name(HISTORY + ".want") == (HISTORY, queue.WANTED_MARKER)
    assert queue.marker_wal_name(SEG_1 + ".error") == (SEG_1, queue.FAILED_MARKER)
    assert queue.marker_wal_name("heartbeat") is None
    assert queue.marker_wal_name(SEG_1 + ".ok.tmp") is None


def test_markers_of_files_gone_from_pg_wal_are_forgotten_and_the_others_kept():
    markers = [SEG_1 + ".ok", SEG_2 + ".ok", SEG_3 + ".error", HISTORY + ".ok", "heartbeat"]
    forgettable = queue.forgettable_markers(markers, wal_files=[SEG_2, HISTORY, "archive_status"], ready=[SEG_3])
    assert forgettable == [SEG_1 + ".ok"]


def test_a_marker_vouches_for_one_destination_server_and_compression():
    one = queue.destination_identity("s3://b/p", "demo", "gzip")
    assert one == "s3://b/p demo gzip"
    assert one != queue.destination_identity("s3://b/p", "demo-r1", "gzip")
