// slipway graph: pan/zoom, a node's YAML and diagnostics on click, relation filters.
// Written for this page; no library, no network.
(function () {
  "use strict";
  window.addEventListener("error", function (event) {
    document.body.setAttribute("data-js-error", String(event.message));
  });
  var data = JSON.parse(document.getElementById("data").textContent);
  var byId = {};
  data.nodes.forEach(function (node) { byId[node.id] = node; });
  var svg = document.getElementById("graph");
  var viewport = document.getElementById("viewport");
  var canvas = document.getElementById("canvas");
  var panel = document.getElementById("panel");
  var width = Number(svg.getAttribute("data-width"));
  var height = Number(svg.getAttribute("data-height"));
  var view = { x: 0, y: 0, k: 1 };

  function apply() {
    viewport.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")");
  }
  function fit() {
    var box = canvas.getBoundingClientRect();
    var k = Math.min(box.width / width, box.height / height, 1);
    view = { x: (box.width - width * k) / 2, y: 10, k: k > 0 ? k : 1 };
    apply();
  }
  document.getElementById("fit").addEventListener("click", fit);

  var drag = null;
  canvas.addEventListener("mousedown", function (event) {
    drag = { x: event.clientX - view.x, y: event.clientY - view.y, moved: false };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (event) {
    if (!drag) { return; }
    view.x = event.clientX - drag.x;
    view.y = event.clientY - drag.y;
    drag.moved = true;
    apply();
  });
  window.addEventListener("mouseup", function () {
    canvas.classList.remove("dragging");
    setTimeout(function () { drag = null; }, 0);
  });
  canvas.addEventListener("wheel", function (event) {
    event.preventDefault();
    var box = canvas.getBoundingClientRect();
    var mx = event.clientX - box.left, my = event.clientY - box.top;
    var factor = event.deltaY < 0 ? 1.15 : 1 / 1.15;
    var k = Math.max(0.05, Math.min(8, view.k * factor));
    view.x = mx - (mx - view.x) * (k / view.k);
    view.y = my - (my - view.y) * (k / view.k);
    view.k = k;
    apply();
  }, { passive: false });

  function element(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    if (className) { e.className = className; }
    return e;
  }
  function diagnosticList(marks) {
    var list = element("ul");
    marks.forEach(function (mark) {
      list.appendChild(element("li", mark.severity + "[" + mark.code + "] " + mark.path + ": " + mark.message, mark.severity));
    });
    return list;
  }
  function show(id) {
    var node = byId[id];
    if (!node) { return; }
    Array.prototype.forEach.call(svg.querySelectorAll("g.node"), function (g) {
      g.classList.toggle("selected", g.getAttribute("data-id") === id);
    });
    panel.textContent = "";
    panel.appendChild(element("h3", node.kind + " " + (node.namespace ? node.namespace + "/" : "") + node.name));
    panel.appendChild(element("p", node.external ? "outside the bundle" : "rendered object"));
    if (node.diagnostics.length) {
      panel.appendChild(element("h4", "Diagnostics"));
      panel.appendChild(diagnosticList(node.diagnostics));
    }
    if (node.edges.length) {
      panel.appendChild(element("h4", "Relations"));
      var list = element("ul");
      node.edges.forEach(function (edge) {
        list.appendChild(element("li", edge[0] + " —" + edge[1] + "→ " + edge[2] + "  (" + edge[3] + ")"));
      });
      panel.appendChild(list);
    }
    if (node.yaml) {
      panel.appendChild(element("h4", "YAML"));
      panel.appendChild(element("pre", node.yaml));
    }
  }
  Array.prototype.forEach.call(svg.querySelectorAll("g.node"), function (g) {
    g.addEventListener("click", function () {
      if (drag && drag.moved) { return; }
      show(g.getAttribute("data-id"));
    });
  });

  var filters = document.getElementById("filters");
  data.relations.forEach(function (relation) {
    var label = element("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = relation !== "syncs";
    box.addEventListener("change", function () { filter(relation, box.checked); });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + relation));
    filters.appendChild(label);
    filter(relation, box.checked);
  });
  function filter(relation, visible) {
    Array.prototype.forEach.call(svg.querySelectorAll("path.edge"), function (path) {
      if (path.getAttribute("data-relation") === relation) {
        path.classList.toggle("hidden", !visible);
      }
    });
  }

  var spec = document.getElementById("spec-diagnostics");
  if (data.diagnostics.length) {
    spec.parentNode.insertBefore(element("h4", "Diagnostics of the spec"), spec);
    spec.appendChild(diagnosticList(data.diagnostics).firstChild ? diagnosticList(data.diagnostics) : element("span"));
  }
  fit();
  document.body.setAttribute("data-ready", String(data.nodes.length));
})();
