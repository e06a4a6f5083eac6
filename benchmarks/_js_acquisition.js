// The JS acquisition SDK (script/acquisition-sdk.js of npm code-push 3.1.5, the code devices
// run) behind a small node http requester that sends the headers the React Native plugin sends.
//   node _js_acquisition.js SDK_FOLDER steps
//     stdin: a JSON array of steps {config, call: "query"|"download"|"deploy", ...arguments},
//     or {call: "rollout", clientIds, rollout, tag}: the server's isSelectedForRollout for each;
//     stdout: a JSON array of {error, result, requests} (what the SDK answered, what it sent).
//   node _js_acquisition.js SDK_FOLDER bench CONCURRENCY
//     per stdin line {url, key, appVersion, devices, prefix, cycle}: every device (id
//     PREFIX-INDEX) reports its binary's first run (once), checks sending the label and hash it
//     runs (cycle: also downloads what is offered, reports the download and the install, and
//     then runs it);
//     stdout: {wall, cpu, checked, offered} per line (seconds, node's own CPU).
"use strict";
const http = require("http");
const https = require("https");
const path = require("path");
const readline = require("readline");
const { AcquisitionManager, AcquisitionStatus } = require(
  path.join(process.argv[2], "node_modules", "code-push", "script", "acquisition-sdk.js"));

const SDK_VERSION = "3.1.5";
const PLUGIN_HEADERS = {
  "Accept": "application/json",
  "Content-Type": "application/json",
  "X-CodePush-Plugin-Name": "react-native-code-push",
  "X-CodePush-Plugin-Version": "6.4.1",
  "X-CodePush-SDK-Version": SDK_VERSION,
};
const VERBS = ["GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH"];

// The SDK's httpRequester: request(verb, url, body?, callback(error, {statusCode, body})).
class Requester {
  constructor(agents, sent) {
    this.agents = agents;
    this.sent = sent;
  }

  request(verb, url, body, callback) {
    if (typeof body === "function") {
      callback = body;
      body = null;
    }
    const target = new URL(url);
    const module = target.protocol === "https:" ? https : http;
    const headers = { ...PLUGIN_HEADERS };
    if (this.sent) this.sent.push({ verb: VERBS[verb], url, headers, body });
    const request = module.request(target, {
      method: VERBS[verb], headers, agent: this.agents[target.protocol],
    }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => callback(null, {
        statusCode: response.statusCode, body: Buffer.concat(chunks).toString("utf8"),
      }));
      response.on("error", (error) => callback(error));
    });
    request.on("error", (error) => callback(error));
    request.end(body === null || body === undefined ? undefined : body);
  }
}

function keepAlive(sockets) {
  const options = { keepAlive: true, maxSockets: sockets };
  return { "http:": new http.Agent(options), "https:": new https.Agent(options) };
}

function promised(call) {
  return new Promise((resolve) => {
    call((error, result) => resolve({ error: error ? String(error.message || error) : null, result }));
  });
}

// ---- steps: what a test asks the SDK to do, one call at a time

// The official server's utils/rollout-selector.ts, as it runs under node.
function isSelectedForRollout(clientId, rollout, releaseTag) {
  const identifier = clientId + "-" + releaseTag;
  let hash = 0;
  for (let i = 0; i < identifier.length; i++) hash = (hash << 5) - hash + identifier.charCodeAt(i);
  return Math.abs(hash) % 100 < rollout;
}

async function runStep(step, agents) {
  if (step.call === "rollout") {
    const result = step.clientIds.map((id) => isSelectedForRollout(id, step.rollout, step.tag));
    return { error: null, result, requests: [] };
  }
  const sent = [];
  const manager = new AcquisitionManager(new Requester(agents, sent), step.config);
  let answer;
  if (step.call === "query") {
    answer = await promised((done) => manager.queryUpdateWithCurrentPackage(step.package, done));
  } else if (step.call === "download") {
    answer = await promised((done) => manager.reportStatusDownload(step.package, done));
  } else if (step.call === "deploy") {
    answer = await promised((done) => manager.reportStatusDeploy(
      step.package || null, step.status, step.previousLabelOrAppVersion,
      step.previousDeploymentKey, done));
  } else {
    throw new Error(`unknown call ${step.call}`);
  }
  return { ...answer, requests: sent };
}

async function steps() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const agents = keepAlive(1);
  const results = [];
  for (const step of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
    results.push(await runStep(step, agents));
  }
  agents["http:"].destroy();
  agents["https:"].destroy();
  console.log(JSON.stringify(results));
}

// ---- bench: devices checking (and, for a cycle, installing) at a fixed concurrency

function download(requester, url) {
  return promised((done) => requester.request(0, url, (error, response) => {
    if (!error && response.statusCode !== 200) error = new Error(`download: ${response.statusCode}`);
    done(error, null);
  }));
}

// What each device runs ({label, packageHash}; none: its binary), remembered between lines.
const states = new Map();

async function device(round, requester, index, counts) {
  const clientUniqueId = `${round.prefix}-${index}`;
  const current = { appVersion: round.appVersion, ...states.get(clientUniqueId) };
  const manager = new AcquisitionManager(requester, {
    serverUrl: round.url, deploymentKey: round.key, appVersion: round.appVersion, clientUniqueId,
  });
  if (!states.has(clientUniqueId)) {  // the plugin reports a binary's first run
    states.set(clientUniqueId, {});
    const first = await promised((done) => manager.reportStatusDeploy(null, null, null, null, done));
    if (first.error) throw new Error(first.error);
  }
  const check = await promised((done) => manager.queryUpdateWithCurrentPackage(current, done));
  if (check.error) throw new Error(check.error);
  counts.checked += 1;
  const offered = check.result && !check.result.updateAppVersion ? check.result : null;
  if (!offered) return;
  counts.offered += 1;
  if (!round.cycle) return;
  for (const answer of [
    await download(requester, offered.downloadUrl),
    await promised((done) => manager.reportStatusDownload(offered, done)),
    await promised((done) => manager.reportStatusDeploy(
      offered, AcquisitionStatus.DeploymentSucceeded, current.label || round.appVersion,
      current.label ? round.key : null, done)),
  ]) {
    if (answer.error) throw new Error(answer.error);
  }
  states.set(clientUniqueId, { label: offered.label, packageHash: offered.packageHash });
}

async function benchRound(round, agents) {
  const requester = new Requester(agents, null);
  const counts = { checked: 0, offered: 0 };
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  async function worker() {
    while (next < round.devices) await device(round, requester, next++, counts);
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1e6, ...counts };
}

const CONCURRENCY = Number(process.argv[4]);

function bench() {
  const agents = keepAlive(CONCURRENCY);
  const lines = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    queue = queue.then(async () => {
      try {
        console.log(JSON.stringify(await benchRound(JSON.parse(line), agents)));
      } catch (error) {
        console.log(JSON.stringify({ error: String(error && (error.message || error)) }));
      }
    });
  });
  lines.on("close", () => queue.then(() => {
    agents["http:"].destroy();
    agents["https:"].destroy();
  }));
}

if (process.argv[3] === "steps") {
  steps().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  bench();
}
