"""``rollout run`` and ``bulk``: exit 3 when a rollout breaches or halts, or an item fails.

``rollout run --interval 2h`` finishes at once: the hidden ``_CODEPUSH_CLI_CLOCK`` variable
gives the CLI's client a virtual clock. With ``stdin`` every wait also reads one line, so
the test records the step's installs in the emulator (as a fleet would) between the
``RolloutWaiting`` event and the judgement after it; with ``fast`` waits end at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli

RUN = ("--json", "rollout", "run", "--interval", "2h", "--steps", "10,50,100",
       "--min-downloads", "10", "--max-failure-rate", "5%")


@pytest.fixture
def released(cli: Cli, bundle: Path) -> Callable[..., None]:
    """An app whose Production runs its latest release at 10 % (after one at 100 %, when
    ``prior``: a rollback has something to restore)."""

    def make(app: str, *, prior: bool = False) -> None:
        cli("app", "add", app)
        if prior:
            (bundle / "index.android.bundle").write_text("console.log('v0')")
            cli("release", app, "Production", str(bundle), "1.0.0")
            (bundle / "index.android.bundle").write_text("console.log('v1')")
        cli("release", app, "Production", str(bundle), "1.0.0", "--rollout", "10")

    return make


def drive(cli: Cli, app: str, fleet: Callable[[int, int], tuple[int, int]]) -> tuple[
        list[dict[str, Any]], int]:
    """Run the rollout of ``app``/Production; at each wait record ``fleet(events seen,
    rollout)`` (installed, failed) for v1, then let it go on. Its JSON lines and exit code."""
    proc = cli.popen(*RUN[:3], app, "Production", *RUN[3:],
                     env=cli.env(_CODEPUSH_CLI_CLOCK="stdin"))
    label = ""
    killer = threading.Timer(30, proc.kill)
    killer.start()
    events: list[dict[str, Any]] = []
    with proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        for line in proc.stdout:
            events.append(json.loads(line))
            label = events[0].get("label", label)
            if events[-1].get("event") == "RolloutWaiting":
                installed, failed = fleet(len(events), events[-1]["rollout"])
                cli.emu.record_metrics(app, "Production", label, downloaded=installed + failed,
                                       installed=installed, failed=failed, active=installed)
                proc.stdin.write("\n")
                proc.stdin.flush()
        errors = proc.stderr.read()
        code = proc.wait()
    killer.cancel()
    assert "Traceback" not in errors, errors
    if code == 1:  # the error, as one JSON line
        events.append(json.loads(errors.splitlines()[-1]))
    return events, code


def test_a_healthy_rollout_completes_with_exit_0(cli: Cli, released: Callable[..., None]
                                                 ) -> None:
    released("a-healthy")
    events, code = drive(cli, "a-healthy", lambda _seen, rollout: (rollout * 2, 0))
    assert code == 0
    assert [e.get("event") for e in events] == [
        "RolloutStarted", "RolloutWaiting", "RolloutStepped", "RolloutWaiting",
        "RolloutStepped", "RolloutCompleted", None]
    assert [e["rollout"] for e in events if e.get("event") == "RolloutStepped"] == [50, 100]
    assert events[-1] == {"outcome": "completed", "label": "v1", "rollout": 100,
                          "reason": "reached 100%"}
    history = cli("deployment", "history", "a-healthy", "Production", "--json").json()
    assert history[-1]["rollout"] == 100


def test_a_rollout_that_breaches_rolls_back_and_exits_3(
    cli: Cli, released: Callable[..., None]
) -> None:
    released("a-breach", prior=True)
    events, code = drive(cli, "a-breach",
                         lambda seen, _rollout: (20, 0) if seen == 2 else (10, 10))
    assert code == 3
    breach = next(e for e in events if e.get("event") == "RolloutBreached")
    assert (breach["rollout"], breach["action"], breach["failure_rate"]) == (50, "rollback", 0.5)
    assert breach["growth"] == {"active": 30, "downloaded": 20, "installed": 10, "failed": 10}
    assert events[-1]["outcome"] == "rolled_back"
    history = cli("deployment", "history", "a-breach", "Production", "--json").json()
    assert (history[-1]["label"], history[-1]["release_method"]) == ("v3", "Rollback")


def test_a_breach_whose_rollback_fails_exits_1_after_the_breach(
    cli: Cli, released: Callable[..., None]
) -> None:
    released("a-stuck")  # nothing to roll back to
    events, code = drive(cli, "a-stuck",
                         lambda seen, _rollout: (20, 0) if seen == 2 else (10, 10))
    assert code == 1
    assert events[-2]["event"] == "RolloutBreached"
    assert events[-2]["error"].startswith("NotFoundError: ")
    assert events[-1]["error"] == "RolloutActionError"
    assert "the release is still live at 50%" in events[-1]["message"]


def test_a_release_already_failing_is_never_widened(cli: Cli, released: Callable[..., None]
                                                    ) -> None:
    released("a-failing")
    cli.emu.record_metrics("a-failing", "Production", "v1", downloaded=40, installed=30,
                           failed=10)
    ran = cli("rollout", "run", "a-failing", "Production", "--on-breach", "halt",
              "--max-failure-rate", "0.02", "--min-downloads", "10",
              env=cli.env(_CODEPUSH_CLI_CLOCK="fast"), code=3)
    assert ran.out.splitlines()[0] == "started on a-failing/Production v1 at 10%"
    assert "health gate breached at 10%: 25.00% failed" in ran.out
    assert ran.out.splitlines()[-1] == "halted: failure rate 25.00% over the gate at 10%"


def test_a_rollout_without_metrics_halts_with_exit_3(cli: Cli, released: Callable[..., None]
                                                     ) -> None:
    released("a-silent")
    ran = cli("--json", "rollout", "run", "a-silent", "Production", "--interval", "2h",
              env=cli.env(_CODEPUSH_CLI_CLOCK="fast"), code=3)
    lines = ran.lines()
    assert [line.get("event") for line in lines] == [
        "RolloutStarted", "RolloutWaiting", "RolloutHalted", None]
    assert lines[-1] == {"outcome": "halted", "label": "v1", "rollout": 10,
                         "reason": "no metrics"}


def test_a_bulk_run_with_one_failed_item_exits_3(cli: Cli, bundle: Path) -> None:
    for app in ("b-shop-1", "b-shop-2", "b-shop-3"):
        cli("app", "add", app)
    for app in ("b-shop-1", "b-shop-3"):
        cli("release", app, "Staging", str(bundle), "1.0.0", "--quiet")

    planned = cli("--json", "bulk", "promote", "Staging", "Production", "--apps", "b-shop-*",
                  "--dry-run").json()
    assert (planned["planned"], planned["failed"]) == (3, 0)

    ran = cli("bulk", "promote", "Staging", "Production", "--apps", "b-shop-*", "--rollout",
              "20", "--json", code=3)
    result = ran.json()
    assert (result["operation"], result["done"], result["failed"]) == ("promote", 2, 1)
    failed = [item for item in result["items"] if item["status"] == "failed"]
    assert [item["target"]["app"] for item in failed] == ["b-shop-2"]
    assert failed[0]["error"].startswith("NotFoundError: ")

    again = cli("bulk", "promote", "Staging", "Production", "--apps", "b-shop-*", code=3)
    assert "2 skipped, 1 failed" in again.out
    assert "b-shop-2/Production" in again.out

    patched = cli("--json", "bulk", "patch", "Production", "--apps", "b-shop-[13]",
                  "--rollout", "100").json()
    assert (patched["done"], patched["failed"]) == (2, 0)
    rolled = cli("--json", "bulk", "rollback", "Production", "--apps", "b-shop-[13]",
                 "--dry-run").json()
    assert rolled["planned"] == 2
    none = cli("bulk", "rollback", "Production", "--apps", "b-nothing-*", code=2)
    assert "matched none" in none.err
