// Analytics tracker: page views, clicks, scroll depth and sessions.
//
// Embed with:
//   <script defer src="https://HOST/tracker.js" data-site="KEY"></script>
//
// The data- options, the public API, the stored state and the delivery rules
// are described in README.md. dist/tracker.js is the minified build of this
// file: run `node build.mjs` after changing it.
//
// Size matters more than style here (the budget is 1,500 bytes gzip -9), so
// the code is written for the minifier: few functions, shared code paths,
// local variables as default parameters, expressions rather than statements.
// (The block keeps the `let`s out of the global scope.)
{
	let d = document,
		de = d.documentElement,
		script = d.currentScript,
		on = addEventListener,  // window's; called unbound, it still targets window.
		store,       // localStorage, or an object in memory when it is unusable.
		wait,        // Current retry backoff in ms; 0 (or unset) after a success.
		busy,        // A request is in flight, or a retry is waiting (a promise).
		off,         // The current page is not tracked (Do Not Track or excluded).
		pageUrl,     // URL of the current page view, without the #fragment.
		depth,       // Deepest scroll fraction reached on the current page view.
		sent,        // Scroll depth already sent for the current page view.
		skip,        // A click is being recorded in this task (a timer id).
		load,        // Imports layout.js when a reply asks for it.
		opt, endpoint, exclude,
		// This tab's events not yet acknowledged. Tabs share the stored state
		// without a lock, and one tab's write reaches the others a little late,
		// so a tab can write back a queue that lacks another tab's newest event:
		// every read adds back this tab's own events that the stored queue lost.
		mine = [],

		// Read the stored state (no argument) or write it (s):
		// {visitor: id, session: {id, start, last}, queue: [[session id, event], …]}
		// If localStorage cannot be read, store becomes an object in memory. A
		// write that fails (storage full, or an event with circular props) is
		// dropped.
		state = (s, t) => {
			try {
				store ||= localStorage
				if (s)
					return store.analytics = JSON.stringify(s)
				t = JSON.parse(store.analytics)
			} catch {
				store ||= {}
			}
			t ||= {}
			// Add back this tab's unacknowledged events the stored queue lacks.
			t.queue = (t.queue || []).concat(mine.filter((e) => !JSON.stringify(t.queue).includes(e[1].id)))
			return t
		},


		// Queue an event, with the viewport and page (document) size in CSS
		// pixels, in the current session: a new one after 30 minutes without an
		// event or 24 hours after the session started. Flush after 1 s, or at
		// once when 10 events wait. (Called with two arguments.)
		send = (type, data, now = Date.now(), st = state(), s = st.session, q = st.queue) => off || (
			now - s?.last < 18e5 && now - s.start < 864e5 ||
				(st.session = s = {id: Math.random() + '' + now, start: now}),
			s.last = now,
			q.push(s = [s.id, {
				id: Math.random() + '' + now,
				type,
				ts: now,
				url: pageUrl,
				viewport: [innerWidth, innerHeight],
				page: [de.scrollWidth, de.scrollHeight],
				...data,
			}]),
			mine.push(s),
			st.visitor ||= Math.random() + '' + now,
			st.queue = q.slice(-200),
			state(st),
			setTimeout(flush, !q[9] * 1e3)),

		// Send the queued events of the oldest session. While a request is in
		// flight or a retry waits, only page hide (hide = 1) sends, by
		// sendBeacon (if the browser refuses the beacon, the events go with a
		// later flush). Sent events stay queued until the server answers, so a
		// beacon's events are sent again later (the server ignores a second
		// copy of an event id). Returns a promise that settles when the queue
		// is empty or a retry is scheduled (or a falsy value when there is
		// nothing to send). (Called with at most one argument.)
		flush = (hide, st = state(), q = st.queue, body = q[0] && JSON.stringify({
			site: opt.site,
			session_id: q[0][0],
			visitor_id: st.visitor,
			sent_at: Date.now(),  // Lets the server correct a wrong client clock.
			events: q.filter((e) => e[0] == q[0][0]).map((e) => e[1]),
		}), e) => (
			body && (
				hide ? navigator.sendBeacon(endpoint, body) :
					(busy ||= fetch(endpoint, {method: 'POST', body}).then((r) =>
						// 429 or 5xx: retry later.
						/^(429|5)/.test(r.status) ? retry(r.headers.get('Retry-After')) : (
							// 200 (rejected events are not retried) or another 4xx
							// (a batch the server will never take): remove the batch
							// (its event ids are in the body) from the queue, send
							// the rest.
							st = state(),
							mine = mine.filter(e = (e) => !body.includes(e[1].id)),
							st.queue = st.queue.filter(e),
							state(st),
							busy = wait = 0,
							// The server asks for a layout snapshot of this page: import
							// layout.js (beside this script, a module) and hand it
							// send(); it takes one snapshot per page view. A reply that
							// is not JSON, or an import that fails, asks nothing.
							r.json().then(load = (j) => j?.layout &&
								import(new URL('layout.js', script.src)).then((m) => m.default(send), load), load),
							flush()),
						retry))),
			busy),

		// 429, 5xx or a network error: try again after Retry-After seconds,
		// else after an exponential backoff with jitter (a random delay between
		// half and all of 1 s, 2 s, 4 s, … up to 5 min). busy stays set until
		// then, so nothing but a page hide is sent meanwhile.
		retry = (after) => {
			wait = Math.min(wait * 2 || 1e3, 3e5)
			setTimeout(() => flush(busy = 0), after * 1e3 || wait * (1 - Math.random() / 2))
		},

		// Update (and get) the deepest scroll fraction of this page view.
		measure = () => depth = Math.max(depth, Math.min(1, (scrollY + innerHeight) / de.scrollHeight)),

		// The page view ends: send how deep it was read, if deeper than already
		// sent, and from what depth already sent, so that the server counts the
		// view once (before the first page view depth is unset, and nothing is
		// sent). Then either the page is hidden or unloaded (hide is the event):
		// send everything; or start a page view of the current URL.
		view = (hide) => (
			measure() > sent && send('scroll', {depth, from: sent}),
			sent = depth,
			hide ? flush(1) : (
				off = exclude.test(location.pathname),
				pageUrl = location.href.split('#')[0],
				sent = depth = 0,
				send('page_view', {title: d.title, referrer: d.referrer}))),

		// SPA navigation: a new page view if the URL changed (not counting the
		// #fragment), unless data-spa="false".
		change = () => opt.spa != 'false' && pageUrl != location.href.split('#')[0] && view()

	// text(), selector() and pageLeft(), shared with layout.js.
	include('common.js')

	if (!self.analyticsTracker) {
		opt = script.dataset
		endpoint = opt.endpoint || new URL('/api/events', script.src)
		// "/admin/*, /private/*" -> /^(\/admin\/.*|\/private\/.*)$/ (no
		// data-exclude: /^()$/, which matches no path).
		exclude = RegExp('^(' + (opt.exclude || '').replace(/\W/g, (c) =>
			c == ',' ? '|' : c == '*' ? '.*' : c > ' ' ? '\\' + c : '') + ')$')

		self.analyticsTracker = {
			// Send a custom event: analyticsTracker.track('signup', {plan: 'pro'})
			track: (name, props) => send('custom', {name, props: props || {}}),
			// Send the queued events now; await it to know they were delivered.
			flush,
		}

		// With Do Not Track (data-respect-dnt="true"), off blocks events and a
		// truthy busy blocks flushes.
		if (!(off = busy = opt.respectDnt > 't' && navigator.doNotTrack > 0)) {
			view()

			// History API navigations (pushState, replaceState, back and
			// forward, also by a router that kept its own reference to
			// pushState): the URL is checked 10 times a second, and before
			// every click.
			setInterval(change, 99)
			on('scroll', measure)
			on('visibilitychange', view)

			// A click (capture phase): page coordinates, and the nearest
			// meaningful element around the clicked node (or the node itself)
			// with its selector, label and page box. The clicked node is the
			// innermost one, also inside open shadow roots (composedPath).
			//
			// Only the first click of a task is recorded: a click on a <label>
			// makes the browser send a second, synthetic click to its control in
			// the same task (as does a script calling click() in a click
			// handler). The first one is the physical one: where the pointer
			// was, and what the user read.
			on('click', (e, t = e.composedPath()[0], el, r) => {
				try {
					change()
					skip || (
						skip = setTimeout(() => skip = 0),
						r = (el = t.closest('a,button,[role=button],[data-track],[data-testid]') || t).getBoundingClientRect(),
						send('click', {
							// (The server rounds coordinates to whole pixels.)
							x: e.pageX,
							y: e.pageY,
							// The page x of the document's left edge: on a right-to-left
							// page wider than the viewport, the page extends to the
							// left of its initial view (pageX < 0 there).
							page_left: pageLeft(),
							target: {
								// (The server drops one over its 512 characters.)
								selector: selector(el),
								// At most 128 code points, the server's limit (never half a
								// character).
								text: [...text(el)].slice(0, 128).join(''),
								box: [r.x + scrollX, r.y + scrollY, r.width, r.height],
							},
						}))
				} catch {}
			}, true)
		}
	}
}
