// What the JavaScript tools compute for a directory release, with Node's own `path`,
// `fs` and `crypto`, so tests compare this SDK against the real path semantics:
// - the zip entry names the management SDK (code-push 3.1.5, packageFileFromPath) gives:
//   a recursive listing joined as `${dir}/${name}`, each named
//   `path.relative(path.dirname(given), file)` with `/` separators;
// - the server's package hash over those entries (sorted "name:sha256", JSON.stringify,
//   SHA-256; `__MACOSX/` and `.DS_Store` ignored; `.codepushrelease` left out);
// - the CLI's signing contentHash (sign.ts: names relative to `path.join(given, "..")`).
// - a device's check of a signature: RS256 over "header.payload" with the public key.
// Usage: node js_tools.js <directory as spelled>   (run in the cwd the spelling is for)
//   prints {"entries": {name: sha256}, "packageHash": ..., "contentHash": ...};
// node js_tools.js --verify <jwt file> <public key PEM file>
//   prints {"valid": true|false, "header": {...}, "payload": {...}}.
// node js_tools.js --whitespace
//   prints {"regex": [...], "trim": [...]}: every code point /\s/ matches and trim() removes
//   (the whitespace node-semver collapses and trims).
// node js_tools.js --rollout <cases JSON file: [[clientId, rollout, releaseTag], ...]>
//   prints [[hash, selected], ...]: the official server's utils/rollout-selector.ts
//   (getHashCode of `${clientId}-${releaseTag}`, isSelectedForRollout), copied verbatim.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

function listFiles(dir) {
  const files = [];
  const pending = [dir];
  while (pending.length) {
    const current = pending.shift();
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = `${current}/${entry.name}`;
      if (entry.isDirectory()) pending.push(full);
      else files.push(full);
    }
  }
  return files;
}

const sha256 = (data) => crypto.createHash("sha256").update(data).digest("hex");
const slash = (p) => p.replace(/\\/g, "/");
const ignored = (p) =>
  p.startsWith("__MACOSX/") || p === ".DS_Store" || p.endsWith("/.DS_Store");
const signature = (p) => p === ".codepushrelease" || p.endsWith("/.codepushrelease");

function hashOf(manifest) {
  const entries = Object.keys(manifest)
    .filter((name) => !signature(name))
    .map((name) => `${name}:${manifest[name]}`)
    .sort();
  return sha256(JSON.stringify(entries));
}

function verify(tokenFile, keyFile) {
  const [header, payload, sig] = fs.readFileSync(tokenFile, "utf8").trim().split(".");
  const valid = crypto.verify(
    "RSA-SHA256",
    Buffer.from(`${header}.${payload}`),
    fs.readFileSync(keyFile),
    Buffer.from(sig, "base64url")
  );
  const decode = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  return { valid, header: decode(header), payload: decode(payload) };
}

function whitespace() {
  const regex = [];
  const trim = [];
  for (let code = 0; code <= 0x10ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue; // lone surrogates are not characters
    const char = String.fromCodePoint(code);
    if (/\s/.test(char)) regex.push(code);
    if (char.trim() === "") trim.push(code);
  }
  return { regex, trim };
}

// microsoft/code-push-server api/script/utils/rollout-selector.ts, types removed.
function getHashCode(input) {
  let hash = 0;
  if (input.length === 0) {
    return hash;
  }
  for (let i = 0; i < input.length; i++) {
    const chr = input.charCodeAt(i);
    hash = (hash << 5) - hash + chr;
  }
  return hash;
}

function isSelectedForRollout(clientId, rollout, releaseTag) {
  const identifier = clientId + "-" + releaseTag;
  const hashValue = getHashCode(identifier);
  return Math.abs(hashValue) % 100 < rollout;
}

if (process.argv[2] === "--rollout") {
  const cases = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
  const answers = cases.map(([id, rollout, tag]) => [
    getHashCode(id + "-" + tag),
    isSelectedForRollout(id, rollout, tag),
  ]);
  process.stdout.write(JSON.stringify(answers));
  process.exit(0);
}

if (process.argv[2] === "--whitespace") {
  process.stdout.write(JSON.stringify(whitespace()));
  process.exit(0);
}

if (process.argv[2] === "--verify") {
  process.stdout.write(JSON.stringify(verify(process.argv[3], process.argv[4])));
  process.exit(0);
}

const given = process.argv[2];
const files = listFiles(given);
const entries = {};
const signed = {};
for (const file of files) {
  const digest = sha256(fs.readFileSync(file));
  entries[slash(path.relative(path.dirname(given), file))] = digest;
  const relative = slash(path.relative(path.join(given, ".."), file));
  if (!ignored(relative)) signed[relative] = digest;
}
const hashed = {};
for (const name of Object.keys(entries)) if (!ignored(name)) hashed[name] = entries[name];
process.stdout.write(
  JSON.stringify({ entries, packageHash: hashOf(hashed), contentHash: hashOf(signed) })
);
