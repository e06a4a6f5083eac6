import asyncio
import os

from codepush_async import AsyncCodePush, ItemResult


def on_item(item: ItemResult) -> None:  # sync or async; called as each item settles
    print(f"  {item.target.app}: {item.status}")


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        for brand in ("Alpha", "Beta", "Gamma"):  # a fleet of white-label apps
            await cp.apps.create(f"Brand-{brand}", os="iOS", platform="React-Native")
        targets = await cp.bulk.targets(apps="Brand-*", deployment="Production")

        await cp.bulk.release(targets, "Production", "build/CodePush", "1.4.0")  # 1.4.0 live
        staging = [target.app for target in targets]
        await cp.bulk.release(staging, "Staging", b"the 1.4.1 bundle", "1.4.0")

        plan = await cp.bulk.promote(targets, "Staging", "Production", rollout=10, dry_run=True)
        print(f"{len(plan.planned)} to promote, {len(plan.skipped)} already there")

        result = await cp.bulk.promote(targets, "Staging", "Production", rollout=10,
                                       on_item=on_item)
        result.raise_for_failures()  # BulkError naming each failed target and its cause
        print(result)  # BulkResult(operation='promote', done=3, skipped=0, failed=0)
        print(result.table())  # one row per target: status, result, attempts, elapsed

        await cp.bulk.patch(targets, "Production", rollout=50)    # the next day
        rolled = await cp.bulk.rollback(targets, "Production")    # when it breaks
        print([item.status for item in rolled.items])            # ['done', 'done', 'done']


asyncio.run(main())
