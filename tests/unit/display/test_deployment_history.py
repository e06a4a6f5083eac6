"""``cp.deployments.history``: the CLI's ``deployment history`` view as typed rows."""

from __future__ import annotations

import attrs
import pandas as pd
import pytest

from codepush_async import AsyncCodePush, DeploymentHistory, HistoryRow, Package, UpdateMetrics
from codepush_async._display.history import format_percent, join_history
from codepush_async.emulator import CodePushEmulator
from tests.conftest import Recorder
from tests.payloads import METRICS, METRICS_WIRE, PACKAGE, PACKAGE_WIRE, T0

pytestmark = pytest.mark.anyio


def test_join_follows_the_cli_computation() -> None:
    # METRICS: v1 active 10 (downloaded 12, installed 11, failed 1), v2 active -2 with a
    # null download count, app version 1.0.0 active 4: the total counts every key (12).
    v1 = attrs.evolve(PACKAGE, label="v1", rollout=40)
    v2 = attrs.evolve(PACKAGE, label="v2", release_method="Promote", original_label="v7",
                      original_deployment="Staging", is_disabled=True)
    v3 = attrs.evolve(PACKAGE, label="v3", release_method="Rollback", original_label="v1",
                      is_mandatory=None)
    rows = join_history([v1, v2, v3], METRICS)
    assert isinstance(rows, DeploymentHistory)
    first, second, third = rows
    assert (first.active, first.total_active, first.installed, first.downloaded) == (10, 12, 11, 12)
    assert first.active_percent == pytest.approx(10 / 12 * 100)
    assert (first.pending, first.rollbacks) == (0, 1)  # 12 - 11 - 1
    assert (second.active, second.pending, second.rollbacks) == (-2, -3, 0)  # null counts 0
    assert second.release_note == 'Promoted v7 from "Staging"'
    assert third.release_note == "Rolled back v2 to v1"
    assert (third.is_mandatory, third.rollout) == (False, 100)
    # No metrics for the label: every metric is None, never a healthy-looking zero.
    assert (third.active, third.total_active, third.active_percent, third.pending,
            third.rollbacks, third.has_metrics) == (None, None, None, None, None, False)
    assert (first.label, first.upload_time, first.package_hash, first.size) == (
        "v1", T0, PACKAGE.package_hash, 1234
    )


def test_active_percent_is_zero_when_nothing_is_active() -> None:
    (row,) = join_history([PACKAGE], {"v3": UpdateMetrics(active=0, downloaded=1, installed=1,
                                                        failed=0)})
    assert (row.active_percent, row.total_active, row.pending) == (0.0, 0, 0)


def test_percent_format_is_the_clis() -> None:
    assert [format_percent(v) for v in (100.0, 0.0, 10 / 12 * 100, 100 / 21, 99.7, None)] == [
        "100%", "0%", "83%", "4.8%", "100%", ""
    ]


def test_table_is_the_clis_layout() -> None:
    v1 = attrs.evolve(PACKAGE, label="v1", rollout=40)
    v2 = attrs.evolve(PACKAGE, label="v2", release_method="Promote", original_label="v7",
                      original_deployment="Staging", is_disabled=True, description=None)
    rows = join_history([v1, v2, attrs.evolve(PACKAGE, label="v9")],
                        {**METRICS, "v2": UpdateMetrics(5, 9, 3, 1)})
    text = rows.table()
    assert [h.strip() for h in text.splitlines()[1].split("|")[1:-1]] == [
        "Label", "Release Time", "App Version", "Mandatory", "Description", "Install Metrics"
    ]
    cells = [line.split("|")[-2].strip() for line in text.splitlines() if line.startswith("|")]
    assert cells[1:] == [
        "Active: 53% (10 of 19)", "Total: 11", "Rollbacks: 1", "Rollout: 40%",
        "Active: 26% (5 of 19)", "Total: 3 (5 pending)", "Rollbacks: 1", "Disabled: Yes",
        "No installs recorded",
    ]
    assert '(Promoted v7 from "Staging")' in text
    assert "Active: 53% (10 of 19)<br>Total: 11<br>Rollbacks: 1<br>Rollout: 40%" in (
        rows._repr_html_()
    )
    assert repr(rows[2]) == "<HistoryRow v9, app 1.0.0, rollout 100%, mandatory, no installs recorded>"


async def test_one_call_two_reads_on_the_wire(cp: AsyncCodePush, recorder: Recorder) -> None:
    recorder.reply(200, json_body={"history": [{**PACKAGE_WIRE, "label": "v1"},
                                               {**PACKAGE_WIRE, "label": "v2"}]})
    recorder.reply(200, json_body={"metrics": METRICS_WIRE})
    rows = await cp.deployments.history("My App", "Production")
    assert [(r.method, r.url.raw_path.decode()) for r in recorder.requests] == [
        ("GET", "/apps/My%20App/deployments/Production/history"),
        ("GET", "/apps/My%20App/deployments/Production/metrics"),
    ]
    assert [(r.label, r.active, r.pending) for r in rows] == [("v1", 10, 0), ("v2", -2, -3)]
    frame = pd.DataFrame(rows.to_records())
    assert list(frame["label"]) == ["v1", "v2"]
    assert list(frame["total_active"]) == [12, 12]
    assert list(frame.columns) == [f.name for f in attrs.fields(HistoryRow)]


async def test_on_the_emulator_after_promote_and_rollback() -> None:
    emulator = CodePushEmulator()
    key = emulator.create_account("me@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport) as cp:
        await cp.apps.create("App")
        await cp.releases.release("App", "Staging", b"one", "1.0.0")
        await cp.releases.promote("App", "Staging", "Production", rollout=25)
        await cp.releases.patch("App", "Production", rollout=100)
        await cp.releases.release("App", "Production", b"two", "1.0.0")
        await cp.releases.rollback("App", "Production")
        bare = await cp.deployments.history("App", "Production")
        emulator.record_metrics("App", "Production", "v1", downloaded=10, installed=8,
                                failed=1, active=6)
        rows = await cp.deployments.history("App", "Production")
    assert all(not row.has_metrics for row in bare)
    assert [(r.label, r.release_method, r.release_note) for r in rows] == [
        ("v1", "Promote", 'Promoted v1 from "Staging"'),
        ("v2", "Upload", None),
        ("v3", "Rollback", "Rolled back v2 to v1"),
    ]
    assert (rows[0].active_percent, rows[0].pending, rows[0].rollbacks) == (100.0, 1, 1)
    assert [r.rollout for r in rows] == [100, 100, 100]
    assert isinstance(rows[1], HistoryRow)
    assert all(isinstance(p, Package) is False for p in rows)
