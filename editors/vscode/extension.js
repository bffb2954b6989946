// A minimal VS Code client for `dockopt lsp`: starts the server over stdio for Dockerfiles.
// Everything else (diagnostics, quick fixes, formatting, source.fixAll.dockopt) comes from the
// server; settings come from the project's .dockopt.toml or [tool.dockopt] in pyproject.toml.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function createClient() {
  const config = vscode.workspace.getConfiguration("dockopt");
  const command = config.get("path", "dockopt");
  const serverOptions = { command, args: ["lsp"], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "dockerfile" },
      { scheme: "untitled", language: "dockerfile" },
    ],
    initializationOptions: { debounceMs: config.get("debounceMs", 150) },
  };
  return new LanguageClient("dockopt", "dockopt", serverOptions, clientOptions);
}

async function activate(context) {
  client = createClient();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("dockopt")) {
        // A new command or debounce: start a new server with them.
        await client.stop();
        client = createClient();
        await client.start();
      }
    }),
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
