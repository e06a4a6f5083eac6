"""Exit codes, error lines and credentials: 1 for a failed operation, 2 for bad input
(before any request), never a traceback unless --debug, never the access key."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Cli, base_env


def test_a_failed_operation_is_one_line_and_exit_1(cli: Cli) -> None:
    human = cli("app", "rm", "e-missing", code=1)
    assert human.out == ""
    assert human.err == 'error: NotFoundError: App "e-missing" does not exist. (status 404)\n'
    as_json = cli("--json", "app", "rm", "e-missing", code=1)
    assert json.loads(as_json.err) == {"error": "NotFoundError",
                                       "message": 'App "e-missing" does not exist.',
                                       "status_code": 404}
    assert as_json.out == ""
    debug = cli("--debug", "app", "rm", "e-missing", code=1)
    assert "Traceback (most recent call last)" in debug.err
    assert debug.err.endswith('error: NotFoundError: App "e-missing" does not exist. '
                              "(status 404)\n")


@pytest.mark.parametrize(("args", "message"), [
    (["app", "ls", "--no-such-option"], "No such option '--no-such-option'"),
    (["rollout", "run", "e-app", "Production", "--steps", "5,50,25"],
     "steps must increase strictly, got '5,50,25'"),
    (["rollout", "run", "e-app", "Production", "--steps", "0,50"],
     "each step must be from 1 to 100"),
    (["rollout", "run", "e-app", "Production", "--steps", "5,x"],
     "is not a comma-separated list of percentages"),
    (["rollout", "run", "e-app", "Production", "--interval", "2 hours"],
     "is not a duration such as 90s, 15m, 2h or 1h30m"),
    (["rollout", "run", "e-app", "Production", "--interval", "-5"], "is not a duration >= 0"),
    (["rollout", "run", "e-app", "Production", "--max-failure-rate", "150%"],
     "a rate is from 0 to 1"),
    (["promote", "e-app", "Staging", "Production", "--rollout", "0"],
     "0 is not in the range 1<=x<=100"),
    (["patch", "e-app", "Production", "--rollout", "101"], "101 is not in the range 1<=x<=100"),
    (["bulk", "patch", "Production", "--apps", "e-*", "--rollout", "101"],
     "101 is not in the range"),
    (["bulk", "promote", "Staging", "Production"], "Missing option '--apps'"),
    (["release", "e-app", "Staging", "/no/such/folder", "1.0.0"], "does not exist"),
    (["app"], None),
], ids=["unknown-option", "steps-not-increasing", "step-out-of-range", "steps-not-numbers",
        "interval-words", "interval-negative", "rate", "promote-rollout-0",
        "patch-rollout-101", "bulk-rollout", "bulk-no-apps", "release-no-path", "no-command"])
def test_bad_input_exits_2_with_the_usage_line_before_any_request(
    cli: Cli, args: list[str], message: str | None
) -> None:
    cli.emu.clear_requests()
    ran = cli(*args, code=2)
    assert ran.err.startswith("Usage: codepush-async ")
    if message is not None:
        assert message in ran.err
    assert "Traceback" not in ran.err
    assert len(cli.emu.requests) == 0


def test_the_sdks_own_refusals_are_usage_errors(cli: Cli) -> None:
    cli.emu.clear_requests()
    ran = cli("--json", "app", "add", "bad\nname", code=2)
    assert "Usage: codepush-async app add" in ran.err
    assert "name" in ran.err
    assert len(cli.emu.requests) == 0


def test_a_missing_server_url_names_the_variable(cli: Cli) -> None:
    ran = cli("app", "ls", env=base_env(CODEPUSH_ACCESS_KEY=cli.key), code=2)
    assert "no server: pass --server-url or set CODEPUSH_SERVER_URL" in ran.err
    ran = cli("app", "ls", env=base_env(CODEPUSH_SERVER_URL=cli.url), code=2)
    assert "no access key: pass --access-key or set CODEPUSH_ACCESS_KEY" in ran.err


def test_the_options_stand_for_the_variables(cli: Cli) -> None:
    cli("app", "add", "e-options")
    ran = cli("--server-url", cli.url, "--access-key", cli.key, "--json", "app", "ls",
              env=base_env())
    assert "e-options" in [app["name"] for app in ran.json()]


def test_a_refused_key_is_never_shown(cli: Cli) -> None:
    wrong = "s3cr3t-but-wrong-0123456789"
    for args in (["app", "ls"], ["--json", "app", "ls"], ["--debug", "app", "ls"]):
        ran = cli(*args, env=cli.env(CODEPUSH_ACCESS_KEY=wrong), code=1)
        assert "UnauthorizedError" in ran.err
        assert "s3cr3t" not in ran.err + ran.out
    bad = cli("app", "ls", env=cli.env(CODEPUSH_ACCESS_KEY="s3cr3t with spaces"), code=2)
    assert "access_key must not contain whitespace" in bad.err
    assert "s3cr3t" not in bad.err + bad.out


def test_a_server_that_cannot_be_reached_is_exit_1(cli: Cli) -> None:
    ran = cli("--json", "app", "ls", env=cli.env(CODEPUSH_SERVER_URL="http://127.0.0.1:9"),
              code=1)
    error = json.loads(ran.err)
    assert error["error"] == "APIConnectionError"
