"""The heartbeat file that Kubernetes probes for relays and workers."""

from __future__ import annotations

import os
import time

from portal_common.heartbeat import Heartbeat, check, main


def test_no_file_configured_means_no_heartbeat_and_no_error(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_HEARTBEAT_FILE", raising=False)
    Heartbeat.from_environment().beat(ready=True)
    assert list(tmp_path.iterdir()) == []


def test_a_fresh_ready_beat_passes_both_probes(tmp_path):
    path = tmp_path / "beat"
    Heartbeat(path).beat(ready=True)
    assert check(path, max_age=60, need_ready=False) is None
    assert check(path, max_age=60, need_ready=True) is None
    assert main([str(path), "--ready"]) == 0


def test_a_process_reconnecting_is_alive_but_not_ready(tmp_path):
    path = tmp_path / "beat"
    Heartbeat(path).beat(ready=False)
    assert check(path, max_age=60, need_ready=False) is None
    assert "not connected" in check(path, max_age=60, need_ready=True)
    assert main([str(path), "--ready"]) == 1


def test_a_stale_beat_fails_the_liveness_probe(tmp_path):
    path = tmp_path / "beat"
    Heartbeat(path).beat(ready=True)
    old = time.time() - 120
    os.utime(path, (old, old))
    assert "120 s ago" in check(path, max_age=60, need_ready=False)
    assert main([str(path), "--max-age", "60"]) == 1


def test_a_missing_file_fails_the_probe(tmp_path):
    assert "no heartbeat" in check(tmp_path / "absent", max_age=60, need_ready=False)


def test_beats_within_the_interval_do_not_rewrite_the_file_unless_readiness_changes(tmp_path):
    path = tmp_path / "beat"
    heartbeat = Heartbeat(path, interval=3600)
    heartbeat.beat(ready=True)
    old = time.time() - 30
    os.utime(path, (old, old))
    heartbeat.beat(ready=True)
    assert path.stat().st_mtime == old  # the hot loop pays no write
    heartbeat.beat(ready=False)
    assert path.read_text() == "not-ready" and path.stat().st_mtime > old
