// Layout snapshot: the page's wireframe at the current viewport, sent as one
// `layout` event.
//
// A module: tracker.js imports it (from beside itself) when the server's
// reply to its events asks for a snapshot, and calls its default export with
// its send(). After the page's load event, when the browser is idle, it
// records, once per page view, the page box of
// every element of a kind below, each with the selector a click on it would
// name and, for headings, buttons and links, a short label: text() and
// selector() are the tracker's own (common.js), so clicks and boxes join.
//
// What it never records: form field values (inputs have no label at all),
// the text of editable elements, and anything inside an element with a
// data-analytics-private attribute (the element's own box is kept, without
// its label). Hidden elements (no box) are left out.
//
// Bounds: at most 400 boxes (the server's limit), structural kinds first so
// that a page with more keeps its frame and loses its long tail; at most
// about 48 KiB of boxes as JSON; labels at most 40 characters; images and
// media smaller than 40×40 px are left out (icons).
//
// dist/layout.js is the minified build: run `node build.mjs` after changing
// this file or common.js. The budget is 2,000 bytes gzip -9.
let d = document,
	de = d.documentElement,
	done,        // URL of the page view last snapshotted.

	// [kind, the CSS selector of its elements (the kind's name when absent)],
	// in order of priority: an element is of the first kind it matches, and
	// boxes are kept in this order, document order within a kind. The
	// structural kinds come first (the fingerprint of a layout is made of
	// them, up to heading), then what is clicked.
	kinds = [
		['header'], ['nav'], ['main'], ['aside'], ['footer'], ['section'], ['article'], ['form'],
		['heading', 'h1,h2,h3'],
		['button', 'button,[role=button]'],
		['link', 'a'],
		['input', 'input,select,textarea'],
		['tracked', '[data-track],[data-testid]'],
		// The last two only from 40×40 px on.
		['image', 'img,svg'],
		['media', 'video,canvas'],
	],
	PRIVATE = '[data-analytics-private]',

	// Adds [kind index, element] to found for every element of a kind in root
	// and in the open shadow roots inside it; nothing inside a private element.
	walk = (root, found) => root.querySelectorAll('*').forEach((el, k) => {
		if (!el.parentElement?.closest(PRIVATE)) {
			k = kinds.findIndex(([kind, css = kind]) => el.matches(css))
			k < 0 || found.push([k, el])
			el.shadowRoot && !el.matches(PRIVATE) && walk(el.shadowRoot, found)
		}
	}),

	// Records the boxes and sends them with send. (An element that cannot be
	// measured or named is left out: nothing is thrown.)
	snapshot = (send, found = [], boxes = [], bytes = 0, r, b) => {
		walk(d, found)
		found.sort((a, b) => a[0] - b[0])
		for (let [k, el] of found) try {
			r = el.getBoundingClientRect()
			b = {
				selector: selector(el),
				kind: kinds[k][0],
				// Headings, buttons and links: at most 40 code points of the
				// visible text, blanks collapsed.
				text: k > 7 && k < 11 ? [...text(el).replace(/\s+/g, ' ').trim()].slice(0, 40).join('') : undefined,
				// The page box, as a click's target.box; whole pixels.
				box: [r.x + scrollX, r.y + scrollY, r.width, r.height].map(Math.round),
			}
			// Skipped: no box (hidden), small media, a selector over the
			// server's 512 characters; past 400 boxes or 48 KiB, the rest.
			r.width && r.height && (k < 13 || r.width >= 40 && r.height >= 40) && !b.selector[512] &&
				boxes.length < 400 && (bytes += JSON.stringify(b).length) < 49152 && boxes.push(b)
		} catch {}
		send('layout', {page_left: pageLeft(), boxes})
	}

// text(), selector() and pageLeft(), as tracker.js has them.
include('common.js')

// The tracker calls this with its send() when a reply asks for a snapshot:
// one snapshot per page view (URL without its #fragment), after the load
// event, when the browser is idle (at most 2 s later).
export default (send, idle = () => (window.requestIdleCallback || setTimeout)(() => snapshot(send), {timeout: 2e3})) =>
	done != (done = location.href.split('#')[0]) &&
		(d.readyState == 'complete' ? idle() : addEventListener('load', idle))
