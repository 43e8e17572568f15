// IPWHL browse pages: the one script. Every page reads without it; it fills in what only
// the address bar knows (the root CID, the index URL) and runs the search of the front page
// over the index in search/<00-3f>.js (each shard calls ipwhlSearch once).
"use strict";
(function () {
  var SHARDS = [];  // "00" to "3f"
  for (var n = 0; n < 64; n++) SHARDS.push((n < 16 ? "0" : "") + n.toString(16));
  var LIMIT = 50;
  var body = document.body;
  var root = new URL(body.getAttribute("data-root") || "./", location.href);
  var cid = (/\/ipfs\/([^/]+)\//.exec(root.pathname) || [])[1];

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }
  if (cid) each("[data-root-cid]", function (el) { el.textContent = cid; });
  each("[data-index-url]", function (el) { el.textContent = root.href; });

  var box = document.getElementById("q");
  var list = document.getElementById("results");
  if (!box || !list) return;

  var projects = [];
  var loaded = 0;
  var loading = false;
  var pending = null;

  window.ipwhlSearch = function (doc) {
    if (doc && doc.format === "ipwhl-search/1") projects = projects.concat(doc.projects);
  };

  function load(then) {
    if (then) pending = then;
    if (loading) return;
    loading = true;
    SHARDS.forEach(function (shard) {
      var s = document.createElement("script");
      s.src = "search/" + shard + ".js";
      s.onload = s.onerror = function () {
        loaded += 1;
        if (loaded === SHARDS.length) {
          projects.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
          if (pending) pending();
        }
      };
      document.head.appendChild(s);
    });
  }

  // the page of a project: p/<prefix>/<name>.html, the prefix as in the data tree (the sum
  // of the name's code points modulo 256, two hex digits)
  function page(name) {
    var sum = 0;
    for (var i = 0; i < name.length; i++) sum += name.charCodeAt(i);
    var prefix = (sum % 256).toString(16);
    return "p/" + (prefix.length < 2 ? "0" + prefix : prefix) + "/" + name + ".html";
  }

  function score(p, query, words) {
    var name = p[0];
    var text = (name + " " + p[2]).toLowerCase();
    var s;
    if (name === query) s = 1000;
    else if (name.indexOf(query) === 0) s = 500 - name.length;
    else if (name.indexOf(query) > 0) s = 300 - name.length;
    else s = 0;
    for (var i = 0; i < words.length; i++) {
      if (text.indexOf(words[i]) < 0) return s ? s : -1;
      s += name.indexOf(words[i]) >= 0 ? 20 : 5;
    }
    return s;
  }

  function show(q) {
    var query = q.trim().toLowerCase().replace(/[._\s]+/g, "-");
    var words = q.trim().toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!query) return;
    var found = [];
    projects.forEach(function (p) {
      var s = score(p, query, words);
      if (s > 0) found.push([s, p]);
    });
    found.sort(function (a, b) { return b[0] - a[0] || (a[1][0] < b[1][0] ? -1 : 1); });
    var head = document.createElement("li");
    head.className = "count";
    head.textContent = found.length === 0 ? "No project matches \u201c" + q.trim() + "\u201d."
      : found.length + " project" + (found.length === 1 ? "" : "s") +
        (found.length > LIMIT ? ", the first " + LIMIT + " shown" : "");
    list.appendChild(head);
    found.slice(0, LIMIT).forEach(function (hit) {
      var p = hit[1];
      var li = document.createElement("li");
      var b = document.createElement("b");
      var a = document.createElement("a");
      a.href = page(p[0]);
      a.textContent = p[0];
      b.appendChild(a);
      var v = document.createElement("span");
      v.textContent = p[1];
      li.appendChild(b);
      li.appendChild(v);
      if (p[2]) {
        var d = document.createElement("p");
        d.textContent = p[2];
        li.appendChild(d);
      }
      list.appendChild(li);
    });
  }

  function run() {
    var q = box.value;
    load(function () { show(box.value); });
    if (loaded === SHARDS.length) show(q);
    try {
      var url = new URL(location.href);
      if (q.trim()) url.searchParams.set("q", q.trim()); else url.searchParams.delete("q");
      history.replaceState(null, "", url.href);
    } catch (e) { /* file:// in some browsers: the address just stays */ }
  }

  box.addEventListener("input", run);
  box.addEventListener("focus", function () { load(null); });
  box.form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { box.value = initial; run(); }
})();
