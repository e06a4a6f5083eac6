"""``app``, ``deployment``, ``access-key`` and ``collaborator`` as a shell runs them."""

from __future__ import annotations

from tests.cli.conftest import EMAIL, Cli


def test_apps_are_added_listed_renamed_transferred_and_removed(cli: Cli) -> None:
    added = cli("app", "add", "m-shop", "--json").json()
    assert (added["name"], sorted(added["deployments"])) == ("m-shop", ["Production", "Staging"])
    again = cli("--json", "app", "add", "m-shop", code=1)
    assert again.err.count("\n") == 1
    assert again.out == ""
    assert '"error": "AlreadyExistsError"' in again.err

    assert "m-shop" in [app["name"] for app in cli("app", "ls", "--json").json()]
    table = cli("app", "ls").out
    assert "m-shop" in table
    assert "Production, Staging" in table

    renamed = cli("app", "rename", "m-shop", "m-store", "--json").json()
    assert renamed["name"] == "m-store"
    assert cli("app", "rename", "m-store", "m-shop").out == "Renamed app 'm-store' to 'm-shop'.\n"

    cli.emu.create_account("buyer@example.com")
    moved = cli("app", "transfer", "m-shop", "buyer@example.com", "--json").json()
    assert moved == {"app": "m-shop", "transferred_to": "buyer@example.com"}
    shop = next(app for app in cli("--json", "app", "ls").json() if app["name"] == "m-shop")
    assert shop["collaborators"]["buyer@example.com"]["permission"] == "Owner"

    cli("app", "add", "m-gone")
    assert cli("app", "rm", "m-gone", "--json").json() == {"app": "m-gone", "removed": True}
    assert "m-gone" not in cli("app", "ls").out


def test_deployments_with_their_keys(cli: Cli) -> None:
    cli("app", "add", "m-deploy")
    made = cli("deployment", "add", "m-deploy", "Beta", "--key", "beta-key-0123", "--json")
    assert (made.json()["name"], made.json()["key"]) == ("Beta", "beta-key-0123")
    listed = cli("deployment", "ls", "m-deploy", "--json").json()
    assert [d["name"] for d in listed] == ["Beta", "Production", "Staging"]
    assert cli.emu.deployment_key("m-deploy", "Production") in cli("deployment", "ls",
                                                                    "m-deploy").out
    assert cli("deployment", "rename", "m-deploy", "Beta", "Canary", "--json").json()[
        "name"] == "Canary"
    assert cli("deployment", "rm", "m-deploy", "Canary", "--json").json() == {
        "app": "m-deploy", "deployment": "Canary", "removed": True}
    gone = cli("deployment", "rm", "m-deploy", "Canary", code=1)
    assert gone.err.startswith("error: NotFoundError: ")
    assert "(status 404)" in gone.err


def test_a_new_access_key_secret_is_printed_once(cli: Cli) -> None:
    made = cli("access-key", "add", "m-ci-key", "--ttl", "30d", "--json").json()
    secret = made["key"]
    assert secret
    assert made["name"] == "m-ci-key"
    assert made["expires"] > made["created_time"]
    human = cli("access-key", "add", "m-other-key").out
    assert human.startswith("Created access key 'm-other-key': ")
    assert "shown only this once" in human

    listed = cli("access-key", "ls", "--json")
    assert "m-ci-key" in [key["name"] for key in listed.json()]
    assert all(key["key"] is None for key in listed.json())
    assert secret not in listed.out
    assert secret not in cli("access-key", "ls").out
    assert cli("access-key", "rm", "m-ci-key", "--json").json() == {
        "access_key": "m-ci-key", "removed": True}
    assert "m-ci-key" not in cli("access-key", "ls").out


def test_collaborators(cli: Cli) -> None:
    cli("app", "add", "m-team")
    cli.emu.create_account("dev2@example.com")
    assert cli("collaborator", "add", "m-team", "dev2@example.com").code == 0
    listed = cli("collaborator", "ls", "m-team", "--json").json()
    assert listed[EMAIL]["permission"] == "Owner"
    assert listed["dev2@example.com"]["permission"] == "Collaborator"
    assert "dev2@example.com" in cli("collaborator", "ls", "m-team").out
    assert cli("collaborator", "rm", "m-team", "dev2@example.com", "--json").json() == {
        "app": "m-team", "collaborator": "dev2@example.com", "removed": True}
    assert list(cli("--json", "collaborator", "ls", "m-team").json()) == [EMAIL]


def test_the_v1_dialect(cli: Cli) -> None:
    from codepush_async.emulator import CodePushEmulator

    emu = CodePushEmulator("v1", rate_limit=None)
    key = emu.create_account("v1@example.com")
    with emu.serve() as url:
        env = cli.env(CODEPUSH_SERVER_URL=url, CODEPUSH_ACCESS_KEY=key)
        cli("--dialect", "v1", "app", "add", "m-v1", env=env)
        listed = cli("--dialect", "v1", "--json", "app", "ls", env=env).json()
        assert [app["name"] for app in listed] == ["m-v1"]
        assert any(request.path.startswith("/api/v1/") for request in emu.requests)
        classic = cli("app", "ls", env=env, code=1)  # the classic routes are not there
        assert classic.err.startswith("error: ")
    assert key not in "".join(ran.out + ran.err for ran in cli.runs)
