// The JS SDK side of vs_js.py: for each "URL KEY" line on stdin, 500 mixed calls at
// concurrency 16 through code-push's AccountManager; prints {"wall": s, "cpu_ms_per_call": ms}.
"use strict";
const path = require("path");
const readline = require("readline");
const AccountManager = require(path.join(process.argv[2], "node_modules", "code-push"));
const CALLS = Number(process.argv[3]);
const CONCURRENCY = Number(process.argv[4]);
const managers = new Map();

function call(manager, index) {
  switch (index % 4) {
    case 0: return manager.getApp("App");
    case 1: return manager.getDeployment("App", "Production");
    case 2: return manager.getDeploymentHistory("App", "Production");
    default: return manager.patchRelease("App", "Production", "v1", { description: `js ${index}` });
  }
}

async function round(url, key) {
  if (!managers.has(url)) managers.set(url, new AccountManager(key, {}, url));
  const manager = managers.get(url);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  async function worker() {
    while (next < CALLS) await call(manager, next++);
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { wall, cpu_ms_per_call: (used.user + used.system) / 1000 / CALLS };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const [url, key] = line.trim().split(" ");
  try {
    console.log(JSON.stringify(await round(url, key)));
  } catch (error) {
    console.log(JSON.stringify({ error: String(error && (error.message || error)) }));
  }
});
