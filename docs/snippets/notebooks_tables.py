import asyncio
import os

import pandas as pd

from codepush_async import AsyncCodePush, to_records


async def main() -> None:
    key, url = os.environ["CODEPUSH_ACCESS_KEY"], os.environ["CODEPUSH_SERVER_URL"]
    async with AsyncCodePush(key, url) as cp:
        await cp.apps.create("MyApp-iOS", os="iOS", platform="React-Native")
        await cp.releases.release("MyApp-iOS", "Staging", b"v1", "1.0.0", description="First")
        await cp.releases.promote("MyApp-iOS", "Staging", "Production")
        await cp.releases.release("MyApp-iOS", "Production", b"v2", "1.0.0", is_mandatory=True)

        history = await cp.deployments.history("MyApp-iOS", "Production")  # the CLI's view
        print(history.table())  # in Jupyter, `history` alone renders as an HTML table
        print(history[0])       # <HistoryRow v1, app 1.0.0, rollout 100%, ...>

        packages = await cp.releases.history("MyApp-iOS", "Production")
        print(packages[1])      # <Package v2, app 1.0.0, rollout 100%, mandatory, ...>
        print(pd.DataFrame(history.to_records()))           # one column per field
        print(pd.DataFrame(to_records(packages, mode="json")))  # JSON-safe values
        print(packages[0].to_dict(by_alias=True, mode="json"))  # camelCase, as on the wire


asyncio.run(main())
