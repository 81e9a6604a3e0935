// Build dist/tracker.js, the minified script that ingestd serves, from
// src/tracker.js, and print its gzip -9 size.
//
//   node build.mjs          write dist/tracker.js
//   node build.mjs --check  exit 1 if dist/tracker.js differs from a fresh
//                           build, or if it is over the size budget
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {gzipSync} from 'node:zlib';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {minify} from 'terser';

const BUDGET = 1500; // bytes, gzip -9 of dist/tracker.js (a product requirement)
const dir = dirname(fileURLToPath(import.meta.url));
const src = join(dir, 'src', 'tracker.js');
const dist = join(dir, 'dist', 'tracker.js');
const check = process.argv.includes('--check');

const result = await minify(readFileSync(src, 'utf8'), {
	ecma: 2021,
	toplevel: true,
	// unsafe_comps only swaps the operands of < and >; booleans_as_integers
	// turns the one `true` (addEventListener's capture flag) into 1.
	compress: {passes: 3, unsafe_arrows: true, unsafe_comps: true, booleans_as_integers: true},
	mangle: true,
	format: {comments: false},
});
const code = result.code + '\n';
const gz = gzipSync(code, {level: 9}).length;

let failed = false;
if (check) {
	let committed = null;
	try {
		committed = readFileSync(dist, 'utf8');
	} catch {}
	if (committed !== code) {
		console.error(`dist/tracker.js ${committed === null ? 'is missing' : 'differs from a fresh build of src/tracker.js'}; run: node build.mjs`);
		failed = true;
	}
} else {
	mkdirSync(dirname(dist), {recursive: true});
	writeFileSync(dist, code);
}

console.log(`dist/tracker.js: ${code.length} bytes, ${gz} bytes gzip -9 (budget ${BUDGET})`);
if (gz > BUDGET) {
	console.error(`dist/tracker.js is over the size budget: ${gz} > ${BUDGET} bytes gzip -9`);
	failed = true;
}
process.exit(failed ? 1 : 0);
