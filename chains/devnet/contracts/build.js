#!/usr/bin/env node
// Compiles DemoToken.sol with the pinned npm `solc` (solcjs) and writes DemoToken.json beside it.
//   npm run build:contracts                          rewrite the committed artifact
//   node chains/devnet/contracts/build.js --stdout   print it instead (the drift test reads this)
// The settings are part of the artifact so a rebuild with other settings shows up in the diff.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const here = __dirname;
const SOURCE = "DemoToken.sol";
const CONTRACT = "DemoToken";

const settings = {
  optimizer: { enabled: true, runs: 200 },
  // paris: no PUSH0, so the bytecode also runs on chains that have not taken Shanghai.
  evmVersion: "paris",
  outputSelection: { [SOURCE]: { [CONTRACT]: ["abi", "evm.bytecode.object"] } },
};

function compile() {
  const input = {
    language: "Solidity",
    // The source is keyed by its bare file name, not an absolute path, so the metadata hash
    // at the end of the bytecode is the same in every checkout.
    sources: { [SOURCE]: { content: fs.readFileSync(path.join(here, SOURCE), "utf8") } },
    settings,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage + "\n");
  if (errors.length) process.exit(1);
  const contract = output.contracts[SOURCE][CONTRACT];
  return {
    contractName: CONTRACT,
    sourceName: SOURCE,
    compiler: { name: "solc", version: solc.version(), settings: { ...settings, outputSelection: undefined } },
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
  };
}

const text = JSON.stringify(compile(), null, 2) + "\n";
if (process.argv.includes("--stdout")) {
  process.stdout.write(text);
} else {
  const out = path.join(here, CONTRACT + ".json");
  fs.writeFileSync(out, text);
  process.stderr.write("wrote " + path.relative(process.cwd(), out) + "\n");
}
