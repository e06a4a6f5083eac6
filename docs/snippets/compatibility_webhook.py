import json

from codepush_async import DeploymentReleasedEvent, parse_webhook

body = json.dumps({
    "event": "deployment.released",
    "app": "MyApp",
    "deployment": "Production",
    "release": {"label": "v3", "appVersion": "1.4.0"},
})
event = parse_webhook(body)  # a ValueError for anything that is not an event
if isinstance(event, DeploymentReleasedEvent) and event.release is not None:
    print(event.app, event.deployment, event.release.label)  # MyApp Production v3
else:
    print("another event:", event.event)  # a WebhookEvent of a type the SDK does not know
