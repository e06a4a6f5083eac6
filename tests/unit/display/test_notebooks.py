"""Notebook use: short reprs, ``to_dict``, tables, records for pandas, one meaning per field."""

from __future__ import annotations

import json
from datetime import datetime

import attrs
import pandas as pd
import pytest
from rich.console import Console

import codepush_async
from codepush_async import (
    AccessKey,
    Account,
    App,
    AsyncCodePush,
    BulkResult,
    CollaboratorProperties,
    Deployment,
    HealthGate,
    ItemResult,
    ModelList,
    ModelMap,
    NotFoundError,
    Package,
    RolloutBreached,
    RolloutCompleted,
    RolloutHalted,
    RolloutOutcome,
    RolloutPlan,
    RolloutStarted,
    RolloutStepped,
    RolloutWaiting,
    Session,
    Target,
    UpdateMetrics,
    to_records,
)
from codepush_async.emulator import CodePushEmulator
from tests.conftest import Recorder
from tests.payloads import APP, DEPLOYMENT, NEW_KEY, PACKAGE, PACKAGE_WIRE, T0

pytestmark = pytest.mark.anyio

# Every exported attrs class is a model with to_dict() and a short repr, the automation
# results included; these three are options or a handle on a file, not values to show.
NOT_MODELS = {"RetryPolicy", "Timeouts", "PreparedRelease"}
ATTRS_CLASSES = [getattr(codepush_async, name) for name in codepush_async.__all__
                 if attrs.has(getattr(codepush_async, name))]
MODELS = [cls for cls in ATTRS_CLASSES if cls.__name__ not in NOT_MODELS]
_METRICS = UpdateMetrics(3, 4, 3, 1)
# Models whose required fields take more than a string ("x") or a number (1).
SAMPLES: dict[type, object] = {
    ItemResult: ItemResult(Target("A"), "done"),
    BulkResult: BulkResult((ItemResult(Target("A"), "done"),), operation="promote"),
    RolloutPlan: RolloutPlan([5, 100], 60),
    RolloutStepped: RolloutStepped(25, _METRICS),
    RolloutWaiting: RolloutWaiting(T0, 25),
    RolloutBreached: RolloutBreached(_METRICS, "rollback", 0.25, 25),
    RolloutHalted: RolloutHalted("no metrics", 25, None),
    RolloutOutcome: RolloutOutcome.from_events([RolloutCompleted("v1", 100)]),
    codepush_async.UpdateExplanation: codepush_async.UpdateExplanation(
        codepush_async.UpdateCheck(True, False, False, "v1", "h", "https://b/v1?sig=s", 10,
                                   "1.0.0", "", False, "1.0.0"),
        "update", "v1", "v1 is offered."),
}


def _sample(model: type) -> object:
    if model in SAMPLES:
        return SAMPLES[model]
    required = {
        f.name: "x" if f.type in ("str", str) else 1
        for f in attrs.fields(model)
        if f.default is attrs.NOTHING
    }
    return model(**required)


def test_main_models_have_short_informative_reprs() -> None:
    assert repr(PACKAGE) == (
        "<Package v3, app 1.0.0, rollout 100%, mandatory, uploaded 2023-11-14 22:13 UTC, "
        "size 1.2 KiB>"
    )
    promoted = attrs.evolve(PACKAGE, label="v5", rollout=25, is_disabled=True,
                            release_method="Promote", original_label="v2",
                            original_deployment="Staging")
    assert repr(promoted) == (
        "<Package v5, app 1.0.0, rollout 25%, mandatory, disabled, uploaded 2023-11-14 22:13 "
        'UTC, size 1.2 KiB, Promoted v2 from "Staging">'
    )
    rolled = Package(label="v4", release_method="Rollback", original_label="v2")
    assert repr(rolled) == "<Package v4, rollout 100%, Rolled back v3 to v2>"
    assert repr(DEPLOYMENT) == "<Deployment 'Staging', key dep-key-1, current v3 (app 1.0.0)>"
    assert repr(Deployment("Production")) == "<Deployment 'Production', no release>"
    assert repr(APP) == (
        "<App 'My App', deployments Production, Staging, owner owner@example.com>"
    )
    assert repr(NEW_KEY) == (
        "<AccessKey 'ci', created 2023-11-14 22:13 UTC, expires 2024-01-13 22:13 UTC, by ci-box>"
    )
    assert "NEWSECRET" not in repr(NEW_KEY)
    assert repr(Session("build-box", T0)) == (
        "<Session 'build-box', logged in 2023-11-14 22:13 UTC>"
    )
    assert repr(Account("me@example.com", "Me", ("GitHub", "Microsoft"))) == (
        "<Account 'me@example.com', name Me, linked GitHub, Microsoft>"
    )
    assert repr(Account()) == "<Account>"
    # Field access is unchanged.
    assert (PACKAGE.label, PACKAGE.size, PACKAGE.upload_time) == ("v3", 1234, T0)


def test_to_dict_snake_case_camel_case_and_json_safe() -> None:
    plain = PACKAGE.to_dict()
    assert plain["app_version"] == "1.0.0"
    assert plain["upload_time"] == T0
    assert plain["diff_package_map"] == {
        "oldhash": {"size": 10, "url": "https://blobs.example.com/diff"}
    }
    assert list(plain) == [f.name for f in attrs.fields(Package)]
    camel = PACKAGE.to_dict(by_alias=True)
    assert camel["appVersion"] == "1.0.0"
    assert camel["isMandatory"] is True
    assert "app_version" not in camel
    as_json = DEPLOYMENT.to_dict(mode="json")
    assert as_json["package"]["upload_time"] == "2023-11-14T22:13:20+00:00"
    assert json.loads(json.dumps(as_json)) == as_json
    app = APP.to_dict(mode="json", by_alias=True)
    assert app["deployments"] == ["Production", "Staging"]
    assert app["collaborators"]["owner@example.com"] == {
        "permission": "Owner", "isCurrentAccount": True
    }
    # The secret of a new key is the caller's data: to_dict keeps it (reprs never show it).
    assert NEW_KEY.to_dict()["key"] == "NEWSECRET_0123456789"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_to_dict(model: type) -> None:
    result = _sample(model).to_dict(mode="json")  # type: ignore[attr-defined]
    assert json.loads(json.dumps(result)) == result
    assert set(result) == {f.name for f in attrs.fields(model)}


def test_the_model_list_is_not_empty() -> None:
    assert {"Package", "Deployment", "HistoryRow", "WebhookEvent", "FieldError", "BulkResult",
            "ItemResult", "RolloutOutcome", "RolloutStepped"} <= {m.__name__ for m in MODELS}
    assert {cls.__name__ for cls in ATTRS_CLASSES} >= NOT_MODELS  # no stale exclusion


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_shows_on_one_short_line(model: type) -> None:
    shown = repr(_sample(model))
    assert "\n" not in shown
    assert len(shown) < 200


def test_bulk_results_export_as_records() -> None:
    result = BulkResult((
        ItemResult(Target("A", "Production"), "done", PACKAGE, attempts=1),
        ItemResult(Target("B"), "failed", error=NotFoundError('App "B" does not exist.')),
    ))
    done, failed = to_records(result, mode="json")
    assert done["target"] == {"app": "A", "deployment": "Production"}
    assert done["value"]["label"] == "v3"
    assert failed["error"] == 'NotFoundError: App "B" does not exist.'
    assert json.loads(json.dumps([done, failed])) == [done, failed]
    assert pd.DataFrame(to_records(result))["status"].tolist() == ["done", "failed"]


def test_to_dict_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="mode must be 'python' or 'json'"):
        PACKAGE.to_dict(mode="yaml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="by_alias must be a bool"):
        PACKAGE.to_dict(by_alias="yes")  # type: ignore[arg-type]


async def test_lists_convert_in_one_call_to_dataframe_records(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(200, json_body={"history": [PACKAGE_WIRE, {**PACKAGE_WIRE, "label": "v4"}]})
    history = await cp.releases.history("My App", "Staging")
    assert isinstance(history, ModelList)
    assert history == [PACKAGE, attrs.evolve(PACKAGE, label="v4")]
    frame = pd.DataFrame(history.to_records())
    assert list(frame["label"]) == ["v3", "v4"]
    assert list(frame["size"]) == [1234, 1234]
    assert list(frame.columns) == [f.name for f in attrs.fields(Package)]

    recorder.reply(200, json_body={"metrics": {"v1": {"active": 3, "downloaded": 4,
                                                      "installed": 3, "failed": 1},
                                               "1.0.0": {"active": 3}}})
    metrics = await cp.deployments.metrics("My App", "Staging")
    assert isinstance(metrics, ModelMap)
    frame = pd.DataFrame(metrics.to_records())
    assert list(frame.columns) == ["key", "active", "downloaded", "installed", "failed"]
    assert frame.loc[0].tolist() == ["v1", 3, 4, 3, 1]
    # Plain lists and dicts of models too, and camelCase / JSON-safe records.
    assert to_records([PACKAGE], by_alias=True, mode="json")[0]["uploadTime"] == (
        "2023-11-14T22:13:20+00:00"
    )
    assert to_records({"a@b.c": CollaboratorProperties("Owner")}, key_name="email") == [
        {"email": "a@b.c", "permission": "Owner", "is_current_account": False}
    ]


def test_tables_for_notebooks_rich_and_plain_text() -> None:
    packages = ModelList(
        [PACKAGE, attrs.evolve(PACKAGE, label="v4", description="<b>bold</b> & co",
                               rollout=25, release_method="Promote", original_label="v1",
                               original_deployment="Staging")],
        item_type=Package,
    )
    page = packages._repr_html_()
    assert page.startswith("<table><thead><tr>")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert "<b>" not in page
    assert "2023-11-14 22:13 UTC<br>(Promoted v1 from &quot;Staging&quot;)" in page
    text = packages.table()
    lines = text.splitlines()
    assert lines[1].split("|")[1:-1] == [
        " Label ", " Release Time                 ", " App Version ", " Mandatory ",
        " Disabled ", " Rollout ", " Size    ", " Description      ",
    ]
    assert "| v4    | 2023-11-14 22:13 UTC         | 1.0.0       | Yes       | No       | 25%" in text
    assert '|       | (Promoted v1 from "Staging") |' in text
    console = Console(record=True, width=200)
    console.print(packages)
    shown = console.export_text()
    assert "Release Time" in shown
    assert "Promoted v1 from" in shown
    assert "25%" in shown


def test_empty_lists_still_show_their_columns() -> None:
    assert "| Name | Deployments | Owner | OS | Platform |" in ModelList(item_type=App).table()
    assert ModelList().table() == "(nothing to show)"
    metrics = ModelMap(item_type=UpdateMetrics)
    assert metrics._repr_html_().count("<th ") == 5
    assert metrics.to_records() == []


def test_list_types_pickle_and_copy() -> None:
    import copy
    import pickle

    metrics = ModelMap({"v1": UpdateMetrics(1, 2, 1, 0)}, key_name="label",
                       item_type=UpdateMetrics)
    again = pickle.loads(pickle.dumps(metrics))  # noqa: S301 - our own bytes
    assert (again, again.key_name, type(again)) == (metrics, "label", ModelMap)
    packages = ModelList([PACKAGE], item_type=Package)
    clone = copy.copy(packages)
    assert (clone, clone.item_type) == (packages, Package)


async def test_rollout_means_the_same_in_release_answers_and_history(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    # The official server answers a release with rollout 100 and stores it as null.
    recorder.reply_history()  # read before the release
    recorder.reply_release({**PACKAGE_WIRE, "rollout": 100})
    released = await cp.releases.release("My App", "Staging", b"bundle", "1.0.0")
    stored = {**PACKAGE_WIRE, "packageHash": released.package_hash}
    recorder.reply(200, json_body={"history": [{**stored, "rollout": None},
                                               {k: v for k, v in stored.items()
                                                if k != "rollout"}]})
    history = await cp.releases.history("My App", "Staging")
    assert [released.rollout, *(p.rollout for p in history)] == [100, 100, 100]
    assert released == history[0]


async def test_the_creator_is_the_current_account_in_create_and_list() -> None:
    emulator = CodePushEmulator()
    key = emulator.create_account("me@example.com")
    emulator.create_account("friend@example.com")
    async with AsyncCodePush(key, "http://emulator", transport=emulator.transport) as cp:
        created = await cp.apps.create("MyApp")
        await cp.collaborators.add("MyApp", "friend@example.com")
        (listed,) = await cp.apps.list()
        collaborators = await cp.collaborators.list("MyApp")
    assert created.collaborators == {"me@example.com": CollaboratorProperties("Owner", True)}
    assert listed.collaborators["me@example.com"] == created.collaborators["me@example.com"]
    assert collaborators["friend@example.com"] == CollaboratorProperties("Collaborator", False)
    assert isinstance(created.collaborators["me@example.com"].is_current_account, bool)


async def test_create_marks_the_creator_when_the_answer_leaves_it_out(
    cp: AsyncCodePush, recorder: Recorder
) -> None:
    recorder.reply(201, json_body={"app": {
        "name": "New", "deployments": ["Production", "Staging"],
        "collaborators": {"me@example.com": {"permission": "Owner"}},
    }})
    app = await cp.apps.create("New")
    assert app.collaborators["me@example.com"].is_current_account is True


def test_times_in_reprs_are_utc() -> None:
    from datetime import timedelta, timezone

    local = datetime(2023, 11, 15, 1, 13, 20, tzinfo=timezone(timedelta(hours=3)))
    assert "uploaded 2023-11-14 22:13 UTC" in repr(Package(label="v1", upload_time=local))
    assert "size 812 B" in repr(Package(label="v1", size=812))
    assert "size 3.0 MiB" in repr(Package(label="v1", size=3 * 1024 * 1024))
    assert repr(AccessKey("k")) == "<AccessKey 'k'>"


def _fleet_result() -> BulkResult:
    missing = NotFoundError('App "D" does not exist.')
    return BulkResult((
        ItemResult(Target("A", "Production"), "done", PACKAGE, attempts=1, elapsed=0.25),
        ItemResult(Target("B", "Production"), "done", PACKAGE, attempts=1, elapsed=0.5),
        ItemResult(Target("C", "Production"), "skipped", PACKAGE),
        ItemResult(Target("D", "Production"), "failed", error=missing, elapsed=0.125),
        ItemResult(Target("E", "Production"), "done", PACKAGE, attempts=1),
    ), operation="promote")


def test_a_bulk_result_shows_one_line_of_counts_and_its_items_as_a_table() -> None:
    result = _fleet_result()
    assert repr(result) == "BulkResult(operation='promote', done=3, skipped=1, failed=1)"
    planned = BulkResult((ItemResult(Target("A"), "planned"),), operation="patch")
    assert repr(planned) == "BulkResult(operation='patch', done=0, skipped=0, failed=0, planned=1)"
    assert repr(BulkResult(())) == "BulkResult(done=0, skipped=0, failed=0)"
    assert repr(result.items[3]) == (
        "ItemResult(target='D/Production', status='failed', "
        "error='NotFoundError: App \"D\" does not exist.', attempts=0, elapsed=0.125)"
    )
    assert "v3" not in repr(result.items[0])  # the value is the item's, not its summary's
    header = result.table().splitlines()[1]
    assert [cell.strip() for cell in header.split("|")[1:-1]] == [
        "Target", "Status", "Result", "Attempts", "Elapsed"
    ]
    assert '| D/Production | failed  | NotFoundError: App "D" does not exist.' in result.table()
    assert "| A/Production | done    | <Package v3, app 1.0.0," in result.table()
    page = result._repr_html_()
    assert page.startswith("<table><thead><tr>")
    assert page.count("<tr>") == 6
    assert "NotFoundError: App &quot;D&quot; does not exist." in page
    console = Console(record=True, width=200)
    console.print(result)
    assert "D/Production" in console.export_text()
    records = result.to_records(mode="json")
    assert [r["status"] for r in records] == ["done", "done", "skipped", "failed", "done"]
    assert records == to_records(result, mode="json")
    assert pd.DataFrame(result.to_records())["attempts"].sum() == 3


def test_a_rollout_outcome_shows_one_line_and_its_events_as_a_table() -> None:
    metrics = UpdateMetrics(900, 1000, 700, 200)
    events = (
        RolloutStarted("My App", "Production", "v2", 5),
        RolloutStepped(25, None),
        RolloutBreached(metrics, "rollback", 200 / 900, 25),
    )
    outcome = RolloutOutcome.from_events(events)
    assert repr(outcome) == (
        "RolloutOutcome(status='rolled_back', label='v2', rollout=25, "
        "reason='failure rate 22.22% over the gate at 25%', events=3)"
    )
    started = outcome.table().splitlines()[3]
    assert [cell.strip() for cell in started.split("|")[1:-1]] == [
        "Started", "started on My App/Production v2 at 5%"
    ]
    assert "| Breached | health gate breached at 25%: 22.22% failed" in outcome.table()
    assert outcome._repr_html_().count("<tr>") == 4
    records = outcome.to_records(mode="json")
    assert [r["event"] for r in records] == ["RolloutStarted", "RolloutStepped",
                                             "RolloutBreached"]
    assert records[2]["metrics"] == {"active": 900, "downloaded": 1000, "installed": 700,
                                     "failed": 200}
    assert json.loads(json.dumps(records)) == records
    plan = RolloutPlan([5, 25, 100], 3600, HealthGate(0.05, 200))
    assert plan.to_dict(mode="json")["gate"] == {"max_failure_rate": 0.05, "min_downloads": 200}
