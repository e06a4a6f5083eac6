import asyncio
import os

from codepush_async import (
    AlreadyExistsError,
    AsyncCodePush,
    CodePushError,
    IdenticalReleaseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
)


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        try:
            await cp.apps.get("NoSuchApp")
        except NotFoundError as error:
            print(error.status_code, error.message)  # 404 and the server's own text

        await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        try:
            await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        except AlreadyExistsError as error:  # a ConflictError (409) naming its cause
            print("taken:", error.message)

        await cp.releases.release("MyApp-iOS", "Staging", b"bundle", "1.0.0")
        try:
            await cp.releases.release("MyApp-iOS", "Staging", b"bundle", "1.0.0")
        except IdenticalReleaseError:
            print("identical to the current release")

        try:
            await cp.releases.promote("MyApp-iOS", "Staging", "Production")
        except RateLimitError as error:  # only once the wait would exceed RetryPolicy.max_wait
            print(f"rate limited until {error.reset_at} (retry after {error.retry_after} s)")
        except OutcomeUnknownError:  # the answer was lost and the server could not tell
            print("the promote may have happened: read the deployment before trying again")
        except CodePushError as error:  # every failure is one
            print(type(error).__name__, error.status_code, error.message)


asyncio.run(main())
