"""Contract suite: one set of scenarios run against the in-process emulator, the served
emulator and (when configured) a real CodePush server."""
