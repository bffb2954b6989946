// Checks by hand for the VS Code client, without VS Code (which cannot run here):
//
// 1. extension.js, loaded with a stand-in `vscode` module and a recording stand-in for
//    vscode-languageclient's LanguageClient: activate() starts `<dockopt.path> lsp` over stdio
//    for Dockerfiles with the configured debounce.
// 2. The real `dockopt lsp`, driven by vscode-languageserver-protocol (the JSON-RPC stack
//    vscode-languageclient is built on): initialize, didOpen, publishDiagnostics, codeAction,
//    formatting, shutdown, exit.
//
// Usage: npm install && node check/check.js [path/to/dockopt]   (default: dockopt on PATH)
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const Module = require("node:module");

const dockopt = process.argv[2] || "dockopt";
let serverArgs = ["lsp"];

// -- 1. the extension's wiring ------------------------------------------------------------------
async function checkExtension() {
  const started = [];
  class FakeLanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions });
    }
    async start() { started.push(this); }
    async stop() {}
  }
  const settings = { path: "/opt/tools/dockopt", debounceMs: 300 };
  const fakes = {
    vscode: {
      workspace: {
        getConfiguration: () => ({ get: (key, fallback) => (key in settings ? settings[key] : fallback) }),
        onDidChangeConfiguration: () => ({ dispose() {} }),
      },
    },
    "vscode-languageclient/node": { LanguageClient: FakeLanguageClient, TransportKind: { stdio: 0 } },
  };
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request in fakes ? fakes[request] : load.call(this, request, ...rest);
  };
  try {
    const extension = require("../extension.js");
    await extension.activate({ subscriptions: [] });
  } finally {
    Module._load = load;
  }
  assert.equal(started.length, 1);
  const c = started[0];
  assert.deepEqual(c.serverOptions, { command: "/opt/tools/dockopt", args: ["lsp"], transport: 0 });
  // vscode-languageclient appends --stdio to an Executable's args for TransportKind.stdio
  // (lib/node/main.js); the server below is started with the command line it would build.
  serverArgs = [...c.serverOptions.args, "--stdio"];
  assert.deepEqual(c.clientOptions.documentSelector.map((s) => s.language), ["dockerfile", "dockerfile"]);
  assert.deepEqual(c.clientOptions.initializationOptions, { debounceMs: 300 });
  const manifest = require("../package.json");
  assert.deepEqual(manifest.activationEvents, ["onLanguage:dockerfile"]);
  console.log("ok   extension.js starts `<dockopt.path> lsp` over stdio for dockerfile buffers");
}

// -- 2. the server through vscode-languageserver-protocol -----------------------------------------
async function checkServer() {
  const rpc = require("vscode-languageserver-protocol/node");
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "dockopt-vscode-check-"));
  const file = path.join(folder, "Dockerfile");
  const text = "FROM python:3.12\r\nCOPY . .\r\nRUN pip install -r requirements.txt\r\nCMD [\"python\", \"app.py\"]\r\n";
  fs.writeFileSync(file, text);
  fs.writeFileSync(path.join(folder, "requirements.txt"), "flask\n");
  const uri = "file://" + file;

  const server = spawn(dockopt, serverArgs, { stdio: ["pipe", "pipe", "inherit"] });
  console.log(`     server: ${dockopt} ${serverArgs.join(" ")}`);
  const connection = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(server.stdout),
    new rpc.StreamMessageWriter(server.stdin),
  );
  const published = [];
  let notify;
  connection.onNotification(rpc.PublishDiagnosticsNotification.type, (params) => {
    published.push(params);
    if (notify) notify();
  });
  connection.onRequest(rpc.RegistrationRequest.type, () => null);
  connection.listen();
  const waitFor = (version) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version}`)), 20000);
      const look = () => {
        const found = published.find((p) => p.uri === uri && p.version === version);
        if (found) { clearTimeout(timer); notify = undefined; resolve(found); } else { notify = look; }
      };
      look();
    });

  const init = await connection.sendRequest(rpc.InitializeRequest.type, {
    processId: process.pid,
    rootUri: "file://" + folder,
    capabilities: {
      general: { positionEncodings: ["utf-16"] },
      textDocument: {
        publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix", "source.fixAll"] } }, isPreferredSupport: true },
        formatting: {},
      },
      workspace: { didChangeWatchedFiles: { dynamicRegistration: true }, workspaceEdit: { documentChanges: true } },
    },
    initializationOptions: { debounceMs: 0 },
  });
  assert.equal(init.serverInfo.name, "dockopt");
  await connection.sendNotification(rpc.InitializedNotification.type, {});
  const started = Date.now();
  await connection.sendNotification(rpc.DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "dockerfile", version: 1, text },
  });
  const first = await waitFor(1);
  const codes = first.diagnostics.map((d) => d.code).sort();
  assert.ok(codes.includes("DO001") && codes.includes("DO006"), `diagnostics: ${codes}`);
  for (const d of first.diagnostics) {
    assert.equal(d.source, "dockopt");
    assert.match(d.codeDescription.href, /\/docs\/rules\/DO00\d\.md$/);
  }
  console.log(`ok   ${first.diagnostics.length} diagnostics ${Date.now() - started} ms after didOpen: ${codes.join(" ")}`);

  const pip = first.diagnostics.find((d) => d.code === "DO006");
  const actions = await connection.sendRequest(rpc.CodeActionRequest.type, {
    textDocument: { uri }, range: pip.range, context: { diagnostics: [pip] },
  });
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes("Apply DO006 (run-cleanup)") && titles.includes("Apply all dockopt rewrites"), titles.join(", "));
  console.log(`ok   code actions: ${titles.join(" | ")}`);

  const edits = await connection.sendRequest(rpc.DocumentFormattingRequest.type, {
    textDocument: { uri }, options: { tabSize: 4, insertSpaces: true },
  });
  assert.equal(edits.length, 1);
  const lines = text.split("\n");
  const { start, end } = edits[0].range;
  const offset = (p) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const result = text.slice(0, offset(start)) + edits[0].newText + text.slice(offset(end));
  const cli = require("node:child_process").spawnSync(dockopt, ["rewrite", "--stdin-filename", file, "-"], { input: text });
  assert.equal(result, cli.stdout.toString());
  console.log("ok   formatting equals `dockopt rewrite -` byte for byte (CRLF file)");

  await connection.sendRequest(rpc.ShutdownRequest.type);
  await connection.sendNotification(rpc.ExitNotification.type);
  const code = await new Promise((resolve) => server.on("exit", resolve));
  assert.equal(code, 0);
  console.log("ok   shutdown, exit: the server ended with 0");
  connection.dispose();
}

(async () => {
  await checkExtension();
  await checkServer();
})().catch((error) => {
  console.error(`FAILED ${error.stack || error}`);
  process.exit(1);
});
