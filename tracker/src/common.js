// What tracker.js and layout.js both say about an element: its selector and
// its label. build.mjs puts this file into both scripts where their source
// says `include('common.js')`, so clicks and layout boxes follow the same
// rules and name the same element the same way. It expects `d` (document)
// and `de` (its documentElement) in scope.
let
	// The visible text of element n, never anything from a form field, an
	// editable element or a private one: the text nodes of n and of its
	// descendants that have a layout box (offsetWidth > 0: not display:none
	// nor inside one, not <script> or <style>; SVG elements have none),
	// leaving out every input, select, textarea, element with a
	// contenteditable attribute (whatever its value) and element with a
	// data-analytics-private attribute, with everything inside them, and n
	// itself when it is or is inside one. Text nodes are joined with spaces so
	// that block boundaries separate words (the server collapses whitespace).
	// Open shadow roots inside n are not read: a click inside one gets the
	// label of the element clicked there.
	text = (n) => n.splitText ? n.data
		: !n.offsetWidth || n.closest('input,select,textarea,[contenteditable],[data-analytics-private]') ? ''
		: [...n.childNodes].map(text).join(' '),

	// A selector for element el: the shortest path of steps from el
	// upwards that resolves to it with querySelector() on its root r (the
	// document or a shadow root); a step is "#id" (escaped), else
	// tag:nth-child(n), and ':host' for the shadow root itself (the top of
	// a path that is not unique without it). In a shadow root it is
	// preceded by the host's selector and ' >>> '.
	selector = (el, r = el.getRootNode(), p = '', n = el) => {
		for (; !p || r.querySelector(p) != el; n = n.parentNode)
			p = (n == r ? ':host' : n.id ? '#' + CSS.escape(n.id)
				: n.localName + `:nth-child(${[...n.parentNode.children].indexOf(n) + 1})`) +
				(p && '>' + p)
		return (r.host ? selector(r.host) + ' >>> ' : '') + p
	},

	// The page x of the document's left edge: 0, except on a right-to-left
	// page wider than the viewport, where the page extends to the left of its
	// initial view (pageX and page boxes are negative there).
	pageLeft = () => d.dir > 'r' ? de.clientWidth - de.scrollWidth : 0
