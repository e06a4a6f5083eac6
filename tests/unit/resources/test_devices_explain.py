"""``cp.devices.explain``: the deciding rule, by elimination, for each rule the server has."""

from __future__ import annotations

import attrs
import pytest

from codepush_async import AsyncCodePush, UpdateCheck
from codepush_async._models.devices import SkippedRelease
from codepush_async._models.entities import Package
from codepush_async._resources._explain import Device, explain
from codepush_async._wire.rollout import is_selected_for_rollout
from tests.conftest import Recorder

NOTHING = UpdateCheck(
    is_available=False, should_run_binary_version=False, update_app_version=False, label=None,
    package_hash=None, download_url=None, package_size=0, app_version="1.0.0", description="",
    is_mandatory=False, target_binary_range="1.0.0",
)


def offer(label: str, *, mandatory: bool = False) -> UpdateCheck:
    return attrs.evolve(NOTHING, is_available=True, label=label, package_hash=f"h-{label}",
                        download_url=f"https://blobs/{label}", package_size=10,
                        is_mandatory=mandatory)


def release(label: str, **fields: object) -> Package:
    return Package(label=label, app_version=str(fields.pop("app_version", "1.0.0")),
                   package_hash=f"h-{label}", **fields)  # type: ignore[arg-type]


def device(label: str | None = "v1", *, client_id: str | None = "device-1",
           package_hash: str | None = "h-v1") -> Device:
    return Device("1.0.0", client_id, label, package_hash)


def outside(rollout: int, tag: str) -> str:
    """A client id the server leaves out of ``rollout`` percent of release ``tag``."""
    return next(f"d{i}" for i in range(1000) if not is_selected_for_rollout(f"d{i}", rollout, tag))


def test_the_newest_release_offered_is_an_update() -> None:
    history = [release("v1"), release("v2")]
    result = explain(offer("v2"), history, device())
    assert (result.rule, result.release, result.skipped) == ("update", "v2", ())
    assert "v2 is the newest release" in result.text


def test_a_disabled_newer_release_is_named() -> None:
    history = [release("v1"), release("v2"), release("v3", is_disabled=True)]
    result = explain(offer("v2"), history, device())
    assert (result.rule, result.release) == ("disabled", "v3")
    assert result.skipped == (SkippedRelease("v3", "disabled"),)
    assert result.text == "v3 is disabled, so the device is offered v2."


def test_a_device_outside_the_rollout_is_told_its_bucket() -> None:
    client = outside(30, "v3")
    history = [release("v1"), release("v2"), release("v3", rollout=30)]
    result = explain(offer("v2"), history, device(client_id=client))
    assert (result.rule, result.release) == ("rollout", "v3")
    assert f"client id {client!r} falls outside it" in result.text
    assert "30%" in result.text


def test_a_device_inside_the_rollout_skipped_it_for_its_range() -> None:
    client = next(f"d{i}" for i in range(1000) if is_selected_for_rollout(f"d{i}", 30, "v3"))
    history = [release("v1"), release("v2"), release("v3", rollout=30, app_version="2.x")]
    result = explain(offer("v2"), history, device(client_id=client))
    assert (result.rule, result.release) == ("range", "v3")
    assert result.text == ("v3 targets binary 2.x, which does not cover 1.0.0, so the device "
                           "is offered v2.")


def test_a_device_without_a_client_id_is_placed_as_undefined() -> None:
    history = [release("v1"), release("v2", rollout=25)]
    # getHashCode("undefined-v2") % 100 == 25: outside 25 %, inside 26 %
    result = explain(NOTHING, history, device(client_id=None))
    assert (result.rule, result.release) == ("rollout", "v2")
    assert "'undefined'" in result.text
    history = [release("v1"), release("v2", rollout=26, app_version="9.x")]
    assert explain(NOTHING, history, device(client_id=None)).rule == "range"


def test_a_mandatory_release_in_between_rolls_up() -> None:
    history = [release("v1"), release("v2", is_mandatory=True), release("v3")]
    result = explain(offer("v3", mandatory=True), history, device())
    assert (result.rule, result.release) == ("mandatory-rollup", "v2")
    assert "v2" in result.text
    assert "mandatory" in result.text
    # a mandatory release the device already runs does not roll up
    assert explain(offer("v3"), history, device("v2", package_hash="h-v2")).rule == "update"


def test_a_device_that_sends_no_label_counts_every_mandatory_release() -> None:
    history = [release("v1", is_mandatory=True), release("v2")]
    result = explain(offer("v2", mandatory=True), history, device(None, package_hash="h-v1"))
    assert (result.rule, result.release) == ("mandatory-rollup", "v1")


def test_an_offered_release_mandatory_itself_is_an_update() -> None:
    history = [release("v1"), release("v2", is_mandatory=True)]
    assert explain(offer("v2", mandatory=True), history, device()).rule == "update"


def test_up_to_date_and_up_to_date_below_skipped_releases() -> None:
    history = [release("v1"), release("v2")]
    result = explain(NOTHING, history, device("v2", package_hash="h-v2"))
    assert (result.rule, result.release) == ("up-to-date", "v2")
    assert result.text.startswith("the device already runs v2")
    history.append(release("v3", is_disabled=True))
    result = explain(NOTHING, history, device("v2", package_hash="h-v2"))
    assert (result.rule, result.release) == ("disabled", "v3")
    assert result.text == "v3 is disabled, so the device stays on what it runs."
    # found by its hash when it sends no label
    assert explain(NOTHING, history, device(None, package_hash="h-v2")).release == "v3"


def test_an_up_to_date_device_told_to_update_its_binary_is_told_which_release() -> None:
    history = [release("v1"), release("v2", app_version="2.0.0")]
    check = attrs.evolve(NOTHING, update_app_version=True, app_version="2.0.0")
    result = explain(check, history, device())
    assert (result.rule, result.release) == ("range", "v2")
    assert result.text.endswith("A store update to binary 2.0.0 would get newer releases.")


def test_a_device_that_sends_no_package_hash_is_reoffered_its_own_release() -> None:
    history = [release("v1"), release("v2")]
    result = explain(offer("v2"), history, device("v2", package_hash=None))
    assert result.rule == "reoffered"
    assert "no package_hash" in result.text


@pytest.mark.parametrize(("check", "rule"), [
    (attrs.evolve(NOTHING, should_run_binary_version=True, app_version=""), "no-release"),
    (attrs.evolve(NOTHING, should_run_binary_version=True, update_app_version=True,
                  app_version="2.0.0"), "binary-too-old"),
    (attrs.evolve(NOTHING, should_run_binary_version=True, app_version="0.9.0"),
     "no-release-for-binary"),
])
def test_answers_that_decide_alone(check: UpdateCheck, rule: str) -> None:
    history = [release("v1", app_version="2.0.0", is_disabled=rule == "no-release")]
    result = explain(check, history, device(None, package_hash=None))
    assert result.rule == rule
    assert result.text == check.why
    assert len(result.skipped) == 1


@pytest.mark.anyio
async def test_explain_reads_the_key_and_history_then_checks(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(json_body={"deployment": {"name": "Production", "key": "dk-1"}})
    recorder.reply(json_body={"history": [
        {"label": "v1", "appVersion": "1.0.0", "packageHash": "h-v1"},
        {"label": "v2", "appVersion": "1.0.0", "packageHash": "h-v2", "isDisabled": True},
    ]})
    recorder.reply(json_body={"updateInfo": {
        "isAvailable": False, "shouldRunBinaryVersion": False, "updateAppVersion": False,
        "appVersion": "1.0.0", "label": "", "packageHash": "", "downloadURL": ""}})
    result = await cp.devices.explain("My App", "Production", "1.0.0", client_id="c",
                                      label="v1", package_hash="h-v1")
    assert (result.rule, result.release) == ("disabled", "v2")
    paths = [r.url.raw_path.decode() for r in recorder.requests]
    assert paths[:2] == ["/apps/My%20App/deployments/Production",
                         "/apps/My%20App/deployments/Production/history"]
    assert paths[2].startswith("/updateCheck?deploymentKey=dk-1&appVersion=1.0.0")
    assert "authorization" in recorder.requests[0].headers
    assert "authorization" not in recorder.requests[2].headers


@pytest.mark.anyio
async def test_explain_checks_its_input_before_any_request(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    with pytest.raises(ValueError, match="not a range"):
        await cp.devices.explain("App", "Production", "^1.0.0")
    with pytest.raises(ValueError, match="label must not be empty"):
        await cp.devices.explain("App", "Production", "1.0.0", label="")
    assert recorder.requests == []
