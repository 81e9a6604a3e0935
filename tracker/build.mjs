// Build the minified scripts that ingestd serves, from src/, and print their
// gzip -9 sizes:
//
//   dist/tracker.js  from src/tracker.js (budget 1,600 bytes gzip -9: 1,500
//                    before it loaded layout.js; README says what the rest buys)
//   dist/layout.js   from src/layout.js  (budget 2,000 bytes gzip -9)
//
// Both sources say `include('common.js')` where src/common.js (selector and
// label rules) goes; the build puts it there before minifying, so the two
// scripts cannot drift apart.
//
//   node build.mjs          write dist/
//   node build.mjs --check  exit 1 if a file of dist/ differs from a fresh
//                           build, or if it is over its size budget
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {gzipSync} from 'node:zlib';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {minify} from 'terser';

// Budgets in bytes, gzip -9 (product requirements). tracker.js is a classic
// script, layout.js a module (the tracker imports it).
const SCRIPTS = [
	{name: 'tracker.js', budget: 1600, module: false},
	{name: 'layout.js', budget: 2000, module: true},
];
const dir = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');
const common = readFileSync(join(dir, 'src', 'common.js'), 'utf8');
const INCLUDE = /^[ \t]*include\('common\.js'\)[ \t]*$/m;

let failed = false;
for (const {name, budget, module} of SCRIPTS) {
	const source = readFileSync(join(dir, 'src', name), 'utf8');
	if (source.split(INCLUDE).length != 2) {
		console.error(`src/${name} must say include('common.js') once, on a line of its own`);
		failed = true;
		continue;
	}
	const result = await minify(source.replace(INCLUDE, () => common), {
		ecma: 2021,
		module,
		toplevel: true,
		// unsafe_comps only swaps the operands of < and >; booleans_as_integers
		// turns the one `true` (addEventListener's capture flag) into 1.
		compress: {passes: 3, unsafe_arrows: true, unsafe_comps: true, booleans_as_integers: true},
		mangle: true,
		format: {comments: false},
	});
	const code = result.code + '\n';
	const gz = gzipSync(code, {level: 9}).length;
	const dist = join(dir, 'dist', name);
	if (check) {
		let committed = null;
		try {
			committed = readFileSync(dist, 'utf8');
		} catch {}
		if (committed !== code) {
			console.error(`dist/${name} ${committed === null ? 'is missing' : `differs from a fresh build of src/${name}`}; run: node build.mjs`);
			failed = true;
		}
	} else {
		mkdirSync(dirname(dist), {recursive: true});
		writeFileSync(dist, code);
	}
	console.log(`dist/${name}: ${code.length} bytes, ${gz} bytes gzip -9 (budget ${budget})`);
	if (gz > budget) {
		console.error(`dist/${name} is over the size budget: ${gz} > ${budget} bytes gzip -9`);
		failed = true;
	}
}
process.exit(failed ? 1 : 0);
