// Checks that the trimmed stylesheet styles the portal's markup exactly as the whole of govuk-frontend did.
//
//   node .ci/css-coverage.mjs                 compiles both itself (needs node_modules: sass, govuk-frontend)
//   node .ci/css-coverage.mjs OLD.css NEW.css compares two compiled stylesheets
//
// Run from the repository root. Without arguments, NEW is style/main.scss and OLD is the same
// configuration of govuk-frontend (the `with (...)` of style/main.scss) loading the whole of
// dist/govuk/index.scss, followed by style/_portal.scss: the stylesheet before it was trimmed. Both are
// compiled with Sass's compressed style. The class names the portal can use are read from the Rust
// sources under app/src, server/src and frontend/src.
//
// Every rule is split into one entry per selector of its selector list, kept with the at-rules around
// it (@media, @supports, ...) and its declarations. The checks:
//   A. every govuk-/portal- class named in the sources that has a rule in OLD still has one in NEW;
//   B. every OLD entry whose selector names such a class, and needs no class the sources never
//      mention, is in NEW unchanged (same at-rules, same declarations);
//   C. NEW's entries are OLD's entries with some left out, in the same order: nothing added, nothing
//      changed, nothing moved, so the cascade between the entries kept is as before;
//   D. no entry left out could match the portal's markup: each left-out selector needs a class that no
//      source file mentions (a class inside :not() does not count as needed). Any word in the sources
//      counts as a class here, so this errs towards reporting.
// Exit status 1 when a check fails: then either add the govuk-frontend module that styles the new
// class to style/main.scss, at its place in index.scss's order, or explain why the report is wrong.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const SOURCE_DIRS = ["app/src", "server/src", "frontend/src"];
// At-rules whose block holds rules rather than declarations.
const GROUPING_AT_RULES = /^@(-[a-z]+-)?(media|supports|document|layer|container|scope|keyframes)\b/;

function sourceFiles(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (path.endsWith(".rs")) out.push(path);
  }
  return out;
}

// Index just past the string that starts at css[i] (a quote character).
function skipString(css, i) {
  const quote = css[i];
  for (i++; i < css.length; i++) {
    if (css[i] === "\\") i++;
    else if (css[i] === quote) return i + 1;
  }
  throw new Error("unterminated string");
}

// Index of the first of `stops` at bracket depth 0 at or after i, skipping strings and comments.
function findTopLevel(css, i, stops) {
  let depth = 0;
  while (i < css.length) {
    const c = css[i];
    if (c === '"' || c === "'") { i = skipString(css, i); continue; }
    if (c === "/" && css[i + 1] === "*") { i = css.indexOf("*/", i + 2) + 2; continue; }
    if (depth === 0 && stops.includes(c)) return i;
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    i++;
  }
  return -1;
}

function stripComments(css) {
  let out = "";
  for (let i = 0; i < css.length;) {
    const c = css[i];
    if (c === '"' || c === "'") { const end = skipString(css, i); out += css.slice(i, end); i = end; }
    else if (c === "/" && css[i + 1] === "*") i = css.indexOf("*/", i + 2) + 2;
    else { out += c; i++; }
  }
  return out;
}

// Splits `text` at top-level commas (outside strings, () and []).
function splitTopLevel(text) {
  const parts = [];
  let start = 0;
  for (;;) {
    const comma = findTopLevel(text, start, [","]);
    if (comma < 0) { parts.push(text.slice(start).trim()); return parts; }
    parts.push(text.slice(start, comma).trim());
    start = comma + 1;
  }
}

// One entry per selector: { ctx: "@media ...|@supports ...", sel, body }.
function entries(css, ctx = "", out = []) {
  let i = 0;
  while (i < css.length) {
    const stop = findTopLevel(css, i, ["{", ";", "}"]);
    if (stop < 0) {
      if (css.slice(i).trim()) throw new Error(`trailing text: ${css.slice(i, i + 80)}`);
      break;
    }
    const prelude = css.slice(i, stop).trim();
    if (css[stop] !== "{") {
      if (prelude) out.push({ ctx, sel: prelude, body: null });
      i = stop + 1;
      continue;
    }
    const close = findTopLevel(css, stop + 1, ["}"]);
    const inner = css.slice(stop + 1, close);
    if (GROUPING_AT_RULES.test(prelude)) entries(inner, ctx ? `${ctx}|${prelude}` : prelude, out);
    else if (prelude.startsWith("@")) out.push({ ctx, sel: prelude, body: inner });
    else for (const sel of splitTopLevel(prelude)) out.push({ ctx, sel, body: inner });
    i = close + 1;
  }
  return out;
}

const key = (e) => `${e.ctx}\u0000${e.sel}\u0000${e.body}`;

// Removes `name(...)` groups, e.g. every :not(...), from a selector.
function removeFunctional(sel, name) {
  let out = sel;
  for (let at = out.indexOf(name); at >= 0; at = out.indexOf(name)) {
    const open = at + name.length - 1;
    const close = findTopLevel(out, open + 1, [")"]);
    out = out.slice(0, at) + out.slice(close + 1);
  }
  return out;
}

// Class names a selector mentions; with `needed`, only those an element must carry for it to match.
function classes(sel, needed = false) {
  let s = sel.replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'/g, '""').replace(/\[[^\]]*\]/g, "[]");
  if (needed) s = removeFunctional(s, ":not(");
  return [...s.matchAll(/\.((?:[A-Za-z0-9_-]|\\.)+)/g)].map((m) => m[1].replace(/\\(.)/g, "$1"));
}

// Compiles style/main.scss, and the stylesheet it would be with the whole of govuk-frontend.
async function compileBoth() {
  const sass = await import("sass");
  const main = "style/main.scss";
  const source = readFileSync(main, "utf8");
  const config = source.match(/@use\s+"[^"]*govuk-frontend\/dist\/govuk\/base"\s+with\s*\(([\s\S]*?)\);/);
  if (!config) throw new Error(`${main}: no @use of govuk-frontend's base with a configuration`);
  const whole = `@use "../node_modules/govuk-frontend/dist/govuk" with (${config[1]});\n@use "portal";\n`;
  const options = { style: "compressed", sourceMap: false };
  return [
    sass.compileString(whole, { ...options, url: pathToFileURL(resolve("style/whole-govuk-frontend.scss")) }).css,
    sass.compile(main, options).css,
  ];
}

const args = process.argv.slice(2);
if (args.length !== 0 && args.length !== 2) {
  console.error("usage: node .ci/css-coverage.mjs [OLD.css NEW.css]");
  process.exit(2);
}
const [oldCss, newCss] = args.length ? args.map((p) => readFileSync(p, "utf8")) : await compileBoth();
const load = (css) => entries(stripComments(css.replace(/^\uFEFF/, "")));
const oldEntries = load(oldCss);
const newEntries = load(newCss);

const sourceText = SOURCE_DIRS.flatMap(sourceFiles).map((f) => readFileSync(f, "utf8")).join("\n");
const words = new Set(sourceText.match(/[A-Za-z_][A-Za-z0-9_!-]*/g));
const used = [...words].filter((w) => /^(govuk|portal)-/.test(w)).sort();
const built = used.filter((c) => c.startsWith("govuk-") && c.endsWith("-"));
let failed = false;
const report = (name, problems, okText) => {
  if (problems.length) {
    failed = true;
    console.log(`${name}: FAIL (${problems.length})`);
    for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
    if (problems.length > 20) console.log(`  ... and ${problems.length - 20} more`);
  } else console.log(`${name}: ok, ${okText}`);
};

if (built.length) {
  console.log(`note: class prefixes that look built at run time, check their expansions by hand: ${built.join(" ")}`);
}

const oldClasses = new Set(oldEntries.flatMap((e) => classes(e.sel)));
const newClasses = new Set(newEntries.flatMap((e) => classes(e.sel)));
const usedWithRules = used.filter((c) => oldClasses.has(c));
const usedWithoutRules = used.filter((c) => !oldClasses.has(c) && !c.endsWith("-"));
console.log(`classes named in ${SOURCE_DIRS.join(", ")}: ${used.length}; with a rule in OLD: ${usedWithRules.length}`);
console.log(`  with no rule even in OLD: ${usedWithoutRules.join(" ") || "none"}`);

report("A. used classes still styled", usedWithRules.filter((c) => !newClasses.has(c)),
  `all ${usedWithRules.length} keep a rule`);

// Whether an entry may apply to the portal's pages: it is not an ordinary selector, or every class it
// needs is a word of the sources, or it has :is()/:where()/:has() outside :not() (not worked out here).
const mayMatch = (e) => {
  if (e.body === null || e.sel.startsWith("@")) return true;
  if (/:(is|where|has)\(/.test(removeFunctional(e.sel, ":not("))) return true;
  return classes(e.sel, true).every((c) => words.has(c));
};

const newKeys = new Set(newEntries.map(key));
const usedSet = new Set(usedWithRules);
const usedEntries = oldEntries.filter((e) => classes(e.sel).some((c) => usedSet.has(c)) && mayMatch(e));
report("B. rules for used classes unchanged",
  usedEntries.filter((e) => !newKeys.has(key(e))).map((e) => `${e.ctx} ${e.sel} {${e.body}}`),
  `all ${usedEntries.length} OLD entries naming a used class, and needing no unused one, are in NEW`);

// Greedy subsequence match; the OLD entries skipped are the ones left out.
const dropped = [];
let j = 0;
const unmatched = [];
for (const e of newEntries) {
  const k = key(e);
  while (j < oldEntries.length && key(oldEntries[j]) !== k) dropped.push(oldEntries[j++]);
  if (j === oldEntries.length) { unmatched.push(`${e.ctx} ${e.sel} {${e.body}}`); continue; }
  j++;
}
while (j < oldEntries.length) dropped.push(oldEntries[j++]);
// Once one NEW entry is out of place, every later one is reported too: look at the first.
report("C. NEW is OLD with entries left out, order kept", unmatched,
  `${newEntries.length} of ${oldEntries.length} selector entries kept, ${dropped.length} left out`);

const risky = dropped.filter(mayMatch);
report("D. no left-out rule can match the markup", risky.map((e) => `${e.ctx} ${e.sel} {${e.body}}`),
  "every left-out selector needs a class the sources never mention");

process.exit(failed ? 1 : 0);
