/* GovSM-KG SPARQL query editor.
 *
 * Runs on the page that kg/endpoint/editor.py renders. With YASGUI loaded (window.Yasgui,
 * from web/node_modules) it uses YASQE (highlighting, completion of variables and prefixes
 * from the bundled list, never prefix.cc or LOV) and YASR (result table); without it, a
 * plain textarea and a table of our own. Every request goes to this server: the endpoint
 * (/sparql) and the parameter binding (/editor/bind/NAME).
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("editor-config").textContent);
  const $ = (id) => document.getElementById(id);
  const RESULT_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
  const state = { lastKind: null, example: null, running: null };

  /* ---- IRIs of the data link to their pages on this server ------------------------ */

  function localPath(iri) {
    for (const [prefix, path] of config.local) {
      if (iri.startsWith(prefix)) {
        const rest = iri.slice(prefix.length);
        const local = config.root + path;
        if (path.endsWith("#")) return local + encodeURIComponent(rest);
        // Keep the path's slashes; encode what a browser would misread.
        const href = local + rest.split("/").map(encodeURIComponent).join("/");
        return href || "./";
      }
    }
    return null;
  }

  function shorten(iri) {
    let best = null;
    for (const [prefix, ns] of Object.entries(config.prefixes)) {
      if (iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [prefix, ns];
    }
    return best ? best[0] + ":" + iri.slice(best[1].length) : "<" + iri + ">";
  }

  /* ---- the query editor: YASQE or a textarea ------------------------------------- */

  let yasqe = null;
  let yasr = null;
  const textarea = $("query-text");

  if (config.mode === "yasgui" && window.Yasgui && window.Yasgui.Yasqe) {
    const holder = $("query-editor");
    const initial = textarea.value;
    holder.removeChild(textarea);
    // YASQE merges its config into its defaults index by index, so the completers that ask
    // LOV (classes, properties) must leave the defaults themselves, not only our config.
    const COMPLETERS = ["prefixes", "variables"];
    window.Yasgui.Yasqe.defaults.autocompleters = COMPLETERS.slice();
    yasqe = new window.Yasgui.Yasqe(holder, {
      value: initial,
      persistenceId: null, // the permalink, not local storage, says what is shown
      consumeShareLink: null,
      createShareableLink: null,
      prefixCcApi: null, // completion from the bundled prefix list: no outside request
      autocompleters: COMPLETERS,
      editorHeight: "340px",
      resizeable: true,
      showQueryButton: true,
      requestConfig: { endpoint: config.endpoint, method: "POST" },
    });
    for (const name of Object.keys(yasqe.autocompleters || {})) {
      if (!COMPLETERS.includes(name)) yasqe.disableCompleter(name);
    }
    yasqe.query = function () {
      return run();
    };
    // The table links IRIs of the data to their local pages, shown as prefixed names.
    const Table = window.Yasgui.Yasr.plugins.table;
    const original = Table.prototype.getUriLinkFromBinding;
    Table.prototype.getUriLinkFromBinding = function (binding, prefixes) {
      const markup = original.call(this, binding, prefixes);
      const local = localPath(binding.value);
      if (!local) return markup;
      const tpl = document.createElement("template");
      tpl.innerHTML = markup;
      for (const a of tpl.content.querySelectorAll("a")) {
        a.setAttribute("href", local);
        a.setAttribute("target", "_self");
        a.setAttribute("title", binding.value);
        a.classList.add("local");
      }
      return tpl.innerHTML;
    };
    yasr = new window.Yasgui.Yasr($("results"), {
      persistenceId: null,
      prefixes: config.prefixes,
      pluginOrder: ["table", "response"],
      defaultPlugin: "table",
    });
    window.govsmEditor = { yasqe: yasqe, yasr: yasr }; // for the console and the tests
    document.body.classList.add("yasgui-ready");
  } else {
    document.body.classList.add("plain-ready");
  }

  function getQuery() {
    return yasqe ? yasqe.getValue() : textarea.value;
  }

  function setQuery(text) {
    if (yasqe) yasqe.setValue(text);
    else textarea.value = text;
    updatePermalink();
  }

  /* ---- permalink ------------------------------------------------------------------ */

  // The protocol's dataset parameters given to the page go with every request and link.
  function datasetParams(params) {
    for (const g of config.defaultGraphs || []) params.append("default-graph-uri", g);
    for (const g of config.namedGraphs || []) params.append("named-graph-uri", g);
    return params;
  }

  function permalink() {
    const params = new URLSearchParams();
    const query = getQuery();
    if (query.trim()) params.set("query", query);
    datasetParams(params);
    const search = params.toString().replace(/\+/g, "%20");
    return config.endpoint + (search ? "?" + search : "");
  }

  function updatePermalink() {
    $("permalink").setAttribute("href", permalink());
  }

  if (yasqe) yasqe.on("change", updatePermalink);
  else textarea.addEventListener("input", updatePermalink);
  updatePermalink();

  /* ---- running a query ------------------------------------------------------------ */

  function timeoutValue() {
    const value = parseFloat($("timeout").value);
    const max = parseFloat(config.limits.timeout_s);
    if (!(value > 0)) return null;
    return String(max > 0 ? Math.min(value, max) : value);
  }

  function requestBody(extra) {
    const body = new URLSearchParams();
    body.set("query", getQuery());
    datasetParams(body);
    const timeout = timeoutValue();
    if (timeout) body.set("timeout", timeout);
    for (const [key, value] of Object.entries(extra || {})) body.set(key, value);
    return body;
  }

  function setStatus(text, isError) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function showTruncation(headers) {
    const note = $("truncated");
    const limit = headers.get("X-Result-Row-Limit");
    if ((headers.get("X-Result-Truncated") || "").toLowerCase() === "true") {
      note.textContent =
        "This result was cut at " + (limit || "the server's row limit") +
        " rows (the service's limit). Narrow the query, or page through it with " +
        "ORDER BY, LIMIT and OFFSET.";
      note.hidden = false;
    } else {
      note.hidden = true;
      note.textContent = "";
    }
  }

  function errorText(response, body) {
    let text = response.status + " " + response.statusText;
    const retry = response.headers.get("Retry-After");
    if (retry) text += " (retry after " + retry + " s)";
    return text + (body.trim() ? ": " + body.trim() : "");
  }

  async function run() {
    if (state.running) state.running.abort();
    const controller = new AbortController();
    state.running = controller;
    const started = performance.now();
    setStatus("Running…");
    $("run").textContent = "Cancel";
    document.body.classList.add("running");
    try {
      const response = await fetch(config.endpoint, {
        method: "POST",
        headers: { Accept: RESULT_ACCEPT },
        body: requestBody(),
        signal: controller.signal,
        credentials: "same-origin",
      });
      const body = await response.text();
      const elapsed = Math.round(performance.now() - started);
      showTruncation(response.headers);
      if (!response.ok) {
        state.lastKind = null;
        const message = errorText(response, body);
        setStatus("Error " + message, true);
        if (yasr) yasr.setResponse(new Error(message), elapsed);
        else $("results").replaceChildren();
        return;
      }
      const type = response.headers.get("Content-Type") || "";
      state.lastKind = type.includes("sparql-results") ? "results" : "graph";
      setStatus(summary(type, body) + " in " + elapsed + " ms");
      if (yasr) {
        yasr.setResponse(
          {
            ok: true,
            status: response.status,
            statusText: response.statusText,
            headers: response.headers,
            content: body,
          },
          elapsed,
        );
      } else {
        renderPlain(type, body);
      }
    } catch (err) {
      if (err.name === "AbortError") return;
      setStatus("The request failed: " + err.message, true);
    } finally {
      if (state.running === controller) state.running = null;
      if (!state.running) $("run").textContent = "Run query";
      document.body.classList.remove("running");
      updateDownloads();
    }
  }

  function summary(type, body) {
    if (type.includes("sparql-results+json")) {
      const data = JSON.parse(body);
      if ("boolean" in data) return "ASK: " + (data.boolean ? "true" : "false");
      const n = data.results.bindings.length;
      return n + (n === 1 ? " row" : " rows");
    }
    const lines = body.split("\n").filter((l) => l.trim() && !l.startsWith("@prefix")).length;
    return "Graph result (" + type.split(";")[0] + ", " + lines + " lines)";
  }

  /* ---- the plain result table (without YASR) --------------------------------------- */

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const a = document.createElement("a");
      a.textContent = shorten(term.value);
      a.title = term.value;
      const local = localPath(term.value);
      a.href = local || term.value;
      if (local) a.className = "local";
      else a.rel = "noopener noreferrer nofollow";
      td.appendChild(a);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.textContent = term.value;
      if (term["xml:lang"]) {
        const sup = document.createElement("sup");
        sup.textContent = "@" + term["xml:lang"];
        td.appendChild(sup);
      }
    }
    return td;
  }

  function renderPlain(type, body) {
    const results = $("results");
    results.replaceChildren();
    if (!type.includes("sparql-results+json")) {
      const pre = document.createElement("pre");
      pre.textContent = body;
      results.appendChild(pre);
      return;
    }
    const data = JSON.parse(body);
    if ("boolean" in data) {
      const p = document.createElement("p");
      p.className = "ask";
      p.textContent = data.boolean ? "true" : "false";
      results.appendChild(p);
      return;
    }
    const table = document.createElement("table");
    table.className = "results";
    const head = table.createTHead().insertRow();
    for (const name of data.head.vars) {
      const th = document.createElement("th");
      th.textContent = "?" + name;
      head.appendChild(th);
    }
    const tbody = table.createTBody();
    for (const binding of data.results.bindings) {
      const tr = tbody.insertRow();
      for (const name of data.head.vars) tr.appendChild(cell(binding[name]));
    }
    results.appendChild(table);
  }

  /* ---- downloads through the endpoint's format parameter -------------------------- */

  function updateDownloads() {
    const graph = state.lastKind === "graph";
    const csv = $("download-csv");
    const json = $("download-json");
    csv.dataset.format = graph ? "ttl" : "csv";
    csv.textContent = graph ? "Download Turtle" : "Download CSV";
    json.dataset.format = graph ? "jsonld" : "json";
    json.textContent = graph ? "Download JSON-LD" : "Download JSON";
    csv.disabled = json.disabled = !getQuery().trim();
  }

  const EXTENSIONS = { csv: "csv", json: "srj", ttl: "ttl", jsonld: "jsonld" };

  async function download(event) {
    const format = event.currentTarget.dataset.format;
    setStatus("Preparing the " + format.toUpperCase() + " download…");
    try {
      const response = await fetch(config.endpoint, {
        method: "POST",
        body: requestBody({ format: format }),
        credentials: "same-origin",
      });
      if (!response.ok) {
        setStatus("Download failed: " + errorText(response, await response.text()), true);
        return;
      }
      showTruncation(response.headers);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = (state.example || "query") + "." + (EXTENSIONS[format] || format);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      setStatus("Downloaded " + a.download + " (" + blob.size + " bytes)");
    } catch (err) {
      setStatus("The download failed: " + err.message, true);
    }
  }

  for (const button of document.querySelectorAll("button.download")) {
    button.addEventListener("click", download);
  }

  /* ---- the catalogue ---------------------------------------------------------------- */

  function loadExample(name, andRun) {
    const example = config.examples[name];
    if (!example) return;
    state.example = name;
    for (const li of document.querySelectorAll("li.example")) {
      li.classList.toggle("selected", li.dataset.name === name);
    }
    setQuery(example.query);
    history.replaceState(null, "", permalink());
    const required = example.parameters.some((p) => p.required);
    if (andRun && !required) run();
    else if (required) {
      setStatus("This query needs " + example.parameters.map((p) => p.name).join(", ") +
        ": fill in the form, then Bind and run.");
      const input = document.querySelector("#example-" + CSS.escape(name) + " input");
      if (input) input.focus();
    }
  }

  for (const button of document.querySelectorAll("button.load")) {
    button.addEventListener("click", () => loadExample(button.dataset.name, true));
  }

  for (const form of document.querySelectorAll("form.params")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = form.dataset.name;
      const params = new URLSearchParams();
      for (const input of form.querySelectorAll("input")) {
        if (input.value.trim()) params.set(input.name, input.value.trim());
      }
      const response = await fetch(config.bind + encodeURIComponent(name) + "?" + params, {
        credentials: "same-origin",
      });
      const text = await response.text();
      if (!response.ok) {
        setStatus("Cannot bind the parameters: " + text.trim(), true);
        return;
      }
      state.example = name;
      setQuery(text);
      history.replaceState(null, "", permalink());
      run();
    });
    // Offer the values present in the data for each IRI parameter.
    for (const input of form.querySelectorAll("input[data-type='iri']")) {
      input.addEventListener("focus", () => suggest(input), { once: true });
    }
  }

  async function suggest(input) {
    const list = input.list;
    if (!list || list.children.length) return;
    // Instances of a class whose local name is the parameter's name (subfactor ->
    // govsm:SubFactor, study -> govsm:Study, context -> govsm:Context...).
    const name = input.name.toLowerCase().replace(/[^a-z0-9]/g, "");
    const query =
      "PREFIX rdfs: <" + config.prefixes.rdfs + ">\n" +
      "PREFIX skos: <" + config.prefixes.skos + ">\n" +
      "SELECT DISTINCT ?x (SAMPLE(?l) AS ?label) WHERE {\n" +
      "  ?x a ?class . FILTER(isIRI(?x))\n" +
      '  FILTER(LCASE(REPLACE(STR(?class), "^.*[#/]", "")) = "' + name + '")\n' +
      "  OPTIONAL { ?x skos:prefLabel|rdfs:label ?l }\n" +
      "} GROUP BY ?x ORDER BY ?x LIMIT 200";
    const body = new URLSearchParams({ query: query });
    try {
      const response = await fetch(config.endpoint, {
        method: "POST",
        headers: { Accept: "application/sparql-results+json" },
        body: body,
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const data = await response.json();
      for (const row of data.results.bindings) {
        const option = document.createElement("option");
        option.value = shorten(row.x.value);
        if (row.label) option.label = row.label.value;
        list.appendChild(option);
      }
    } catch (err) {
      /* suggestions are a convenience only */
    }
  }

  $("example-filter").addEventListener("input", (event) => {
    const words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const li of document.querySelectorAll("li.example")) {
      const text = li.textContent.toLowerCase();
      li.hidden = !words.every((w) => text.includes(w));
    }
  });

  /* ---- toolbar and keys ----------------------------------------------------------- */

  $("run").addEventListener("click", () => {
    if (state.running) {
      // Stops waiting for the answer; the server's time limit bounds the query itself.
      state.running.abort();
      state.running = null;
      $("run").textContent = "Run query";
      document.body.classList.remove("running");
      setStatus("Cancelled.");
    } else {
      run();
    }
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  $("permalink").addEventListener("click", (event) => {
    // Keep the address bar in step, and copy the link where the browser allows it.
    event.preventDefault();
    const link = new URL(permalink(), location.href).href;
    history.replaceState(null, "", permalink());
    if (navigator.clipboard) navigator.clipboard.writeText(link).catch(() => {});
    setStatus("Permalink: " + link);
  });
  updateDownloads();
})();
