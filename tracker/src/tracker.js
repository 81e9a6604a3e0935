// Analytics tracker: page views, clicks, scroll depth and sessions.
//
// Embed with:
//   <script defer src="https://HOST/tracker.js" data-site="KEY"></script>
//
// The data- options, the public API, the stored state and the delivery rules
// are described in README.md. dist/tracker.js is the minified build of this
// file: run `node build.mjs` after changing it.
(() => {
	'use strict';

	var d = document,
		de = d.documentElement,
		script = d.currentScript,
		opt,         // The data- attributes of the script tag.
		store = {},  // localStorage, or an object in memory when it is unusable.
		wait = 0,    // Current retry backoff in ms; 0 after a successful send.
		busy,        // A request is in flight, or a retry is waiting.
		timer,       // A flush is scheduled.
		off,         // Why the current page is not tracked (see filter()), or ''.
		pageUrl,     // URL of the current page view.
		depth,       // Deepest scroll fraction reached on the current page view.
		sent,        // Scroll depth already sent for the current page view.
		beacon,      // Id of the last event sent by beacon, not to send it twice.
		site, endpoint, dnt, exclude

	// Get the reason the current page is not tracked, or '' if it is.
	function filter() {
		return dnt ? 'dnt'
			: exclude && exclude.test(location.pathname) ? 'excluded'
			: ''
	}

	// Read the stored state:
	// {visitor: id, session: {id, start, last}, queue: [[session id, event], …]}
	function load() {
		try {
			return JSON.parse(store.analytics) || {}
		} catch {
			return {}
		}
	}

	// Write the stored state; continue in memory if localStorage throws.
	function save(state) {
		state = JSON.stringify(state)
		try {
			store.analytics = state
		} catch {
			(store = {}).analytics = state
		}
	}

	// Get a random unique id.
	function uid() {
		try {
			return crypto.randomUUID()
		} catch {
			for (var s = ''; s.length < 20;)
				s += Math.random().toString(36).slice(2)
			return s
		}
	}

	// Queue an event, with the viewport and page (document) size in CSS pixels,
	// in the current session: a new one after 30 minutes without an event or 24
	// hours after the session started.
	function send(type, data, url) {
		if (!off) try {
			var now = Date.now(),
				state = load(),
				s = state.session || {},
				q = state.queue || []
			if (!(now - s.last < 18e5 && now - s.start < 864e5))
				s = {id: uid(), start: now}
			s.last = now
			q.push([s.id, {
				id: uid(),
				type: type,
				ts: now,
				url: url || location.href,
				viewport: [innerWidth, innerHeight],
				page: [de.scrollWidth, de.scrollHeight],
				...data,
			}])
			state.visitor ||= uid()
			state.session = s
			state.queue = q.slice(-200)
			save(state)
			q[9] ? flush() : timer ||= setTimeout(() => flush(timer = 0), 1e3)
		} catch {}
	}

	// Send the oldest queued events: at most 50, all of one session. While a
	// request is in flight or a retry waits, only page hide sends: by
	// sendBeacon, else by a keepalive fetch. Sent events stay queued until a
	// 200 acknowledges them, so a beacon is sent again later (the server
	// ignores a second copy of an event id). Returns a promise that settles
	// when the queue is empty or a retry is scheduled (or a falsy value).
	function flush(hide) {
		var state = load(),
			q = state.queue || [],
			batch = q.filter((e) => e[0] == q[0][0]).slice(0, 50),
			body = batch[0] && JSON.stringify({
				site: site,
				session_id: batch[0][0],
				visitor_id: state.visitor,
				sent_at: Date.now(),  // Lets the server correct a wrong client clock.
				events: batch.map((e) => e[1]),
			})
		// (visibilitychange and pagehide both fire when a page is left: the
		// second beacon is skipped when it would carry the same events.)
		if (!dnt && body && !(hide ? beacon == (beacon = batch[batch.length - 1][1].id) : busy)) try {
			hide && navigator.sendBeacon(endpoint, body) ||
				(busy = fetch(endpoint, {method: 'POST', body: body, credentials: 'omit', keepalive: hide})
					.then((r) => r.status == 429 || r.status > 499 ? retry(r.headers.get('Retry-After')) : ack(body))
					.catch(retry))
		} catch {}
		return busy
	}

	// The server answered for this batch (200, or 400/413 for a batch it will
	// never take): remove its events (their ids are in the body) from the
	// queue and send the rest.
	function ack(body) {
		var state = load()
		state.queue = state.queue.filter((e) => !body.includes(e[1].id))
		save(state)
		busy = wait = 0
		return flush()
	}

	// 429, 5xx or a network error: try again after Retry-After seconds, else
	// after an exponential backoff with jitter (1 s doubling up to 5 min).
	// busy stays set until then, so nothing else is sent meanwhile.
	function retry(after) {
		wait = Math.min(wait * 2 || 1e3, 3e5)
		setTimeout(() => flush(busy = 0), after * 1e3 || wait * (0.5 + Math.random() / 2))
	}

	// Update the deepest scroll fraction of this page view.
	function measure() {
		depth = Math.max(depth, Math.min(1, (scrollY + innerHeight) / de.scrollHeight))
	}

	// The page view ends (or the page is hidden): send how deep it was read.
	function end() {
		measure()
		if (depth > sent)
			send('scroll', {depth: +depth.toFixed(2)}, pageUrl)
		sent = depth
	}

	// Count a page view of the current URL.
	function pageView() {
		if (pageUrl)
			end()
		off = filter()
		pageUrl = location.href
		depth = sent = 0
		measure()
		send('page_view', {title: d.title, referrer: d.referrer})
	}

	// A new page view if the URL changed (not counting the #fragment).
	function change() {
		pageUrl.split('#')[0] != location.href.split('#')[0] && pageView()
	}

	// Get a CSS selector that document.querySelector() resolves back to el:
	// "#id", a [data-track] or [data-testid] attribute, or a path of
	// tag.class:nth-of-type(n) steps from such an anchor or from body (or
	// from anywhere after 5 steps, if that is enough).
	function selector(el) {
		for (var path = [], n = el, a, k, s; n; n = n.parentElement) {
			a = n.id ? '#' + CSS.escape(n.id)
				: (a = n.getAttribute(k = 'data-track') || n.getAttribute(k = 'data-testid')) &&
					'[' + k + '="' + CSS.escape(a) + '"]'
			s = [...n.parentNode.children].filter((c) => c.localName == n.localName)
			path.unshift(a || n.localName +
				(n.classList[0] ? '.' + CSS.escape(n.classList[0]) : '') +
				(s[1] ? ':nth-of-type(' + (s.indexOf(n) + 1) + ')' : ''))
			if (d.querySelector(s = path.join('>')) == el && (a || n == d.body || path[4]))
				break
		}
		return s
	}

	// Get a short label for el: its text, aria-label, title or alt. Never the
	// value of a form field nor the content of an editable element (and no
	// text at all from an element that holds a <select> or an editable one).
	function label(el) {
		return ((/^(inp|sel|tex)/.test(el.localName) || el.isContentEditable ||
			el.querySelector('select,[contenteditable]') ? el.placeholder || el.name : el.innerText) ||
			el.getAttribute('aria-label') || el.title || el.alt || '').replace(/\s+/g, ' ').trim().slice(0, 64)
	}

	// Record a click on the nearest meaningful element.
	function click(e) {
		try {
			var el = e.target.closest('a,button,input,select,textarea,label,[role=button],[data-track],[data-testid],[id]') || e.target,
				r = el.getBoundingClientRect()
			send('click', {
				x: Math.round(e.pageX),
				y: Math.round(e.pageY),
				target: {
					selector: selector(el),
					text: label(el),
					box: [r.x + scrollX, r.y + scrollY, r.width, r.height].map(Math.round),
				},
			})
		} catch {}
	}

	// The page is hidden or unloaded: end the page view and send everything.
	function hidden() {
		end()
		flush(1)
	}

	if (!script || window.analyticsTracker)
		return

	try {
		store = localStorage
	} catch {}

	opt = script.dataset
	site = opt.site
	endpoint = opt.endpoint || new URL('/api/events', script.src)
	dnt = opt.respectDnt == 'true' && (navigator.doNotTrack == 1 || navigator.globalPrivacyControl)
	// "/admin/*, /private/*" -> /^(\/admin\/.*|\/private\/.*)$/
	exclude = opt.exclude && RegExp('^(' + opt.exclude.replace(/\W/g, (c) =>
		c == ',' ? '|' : c == '*' ? '.*' : c > ' ' ? '\\' + c : '') + ')$')

	window.analyticsTracker = {
		// Send a custom event: analyticsTracker.track('signup', {plan: 'pro'})
		track: (name, props) => send('custom', {name: name, props: props || {}}),
		// Send the queued events now; await it to know they were delivered.
		flush: flush,
		// Why this page is not tracked: 'dnt', 'excluded' or ''.
		filter: filter,
	}

	off = filter()
	if (dnt)
		return

	pageView()
	flush()

	if (opt.spa != 'false') {
		['pushState', 'replaceState'].forEach((m) => {
			var orig = history[m]
			history[m] = function () {
				orig.apply(this, arguments)
				change()
			}
		})
		addEventListener('popstate', change)
	}
	addEventListener('scroll', measure)
	addEventListener('pagehide', hidden)
	addEventListener('visibilitychange', () => d.hidden && hidden())
	d.addEventListener('click', click, true)
})()
