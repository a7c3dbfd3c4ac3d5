(function () {
  "use strict";
  var LEVELS = [["5", "非常满意"], ["4", "满意"], ["3", "基本满意"], ["2", "不满意"], ["1", "非常不满意"]];
  var COLORS = {"5": "#1b6e3a", "4": "#2e8b57", "3": "#5f8f3a", "2": "#c0561b", "1": "#b3261e"};
  var $ = function (id) { return document.getElementById(id); };
  // A style goes through the CSSOM (allowed by the page's CSP), never as a style attribute (refused).
  var set = function (node, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "style") node.style.cssText = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
  };
  var el = function (tag, attrs, text) {
    var node = document.createElement(tag);
    set(node, attrs);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  var SVG = "http://www.w3.org/2000/svg";
  var svg = function (tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    set(node, attrs);
    if (text !== undefined) node.textContent = String(text);
    return node;
  };
  var num = function (n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"); };
  var idx = function (n) { return n === null || n === undefined ? "—" : Number(n).toFixed(2); };
  var pct = function (r) { return r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%"; };
  var value = function (v) { return v === null || v === undefined ? "" : String(v); };

  function cards(row) {
    var list = $("province-cards");
    list.replaceChildren();
    [["total", "有效评价", row.valid, num], ["good", "好评", row.good, num], ["bad", "差评", row.bad, num],
     ["index", "好差评指数", row.index, idx], ["rectification_rate", "差评整改率", row.rectification_rate, pct],
     ["on_time_rate", "按时办结率", row.on_time_rate, pct]].forEach(function (c) {
      var item = el("li");
      item.appendChild(el("span", {"class": "k", id: "province-" + c[0] + "-label"}, c[1]));
      var v = el("span", {"class": "v" + (c[0] === "good" ? " good" : c[0] === "bad" ? " bad" : ""),
        "data-field": c[0], "data-value": value(c[2]), "aria-labelledby": "province-" + c[0] + "-label"}, c[3](c[2]));
      item.appendChild(v);
      list.appendChild(item);
    });
  }

  // Horizontal bars: one per level, its count written beside it (readable without colour).
  function levelsChart(counts) {
    var box = $("levels-chart");
    box.replaceChildren();
    var max = Math.max.apply(null, LEVELS.map(function (l) { return counts[l[0]] || 0; }).concat([1]));
    var rowH = 30, labelW = 92, chartW = 210, height = LEVELS.length * rowH;
    var s = svg("svg", {viewBox: "0 0 " + (labelW + chartW + 58) + " " + height, role: "img",
      style: "max-width:36rem",
      "aria-labelledby": "levels-title levels-desc"});
    s.appendChild(svg("title", {id: "levels-title"}, "评价等级分布"));
    s.appendChild(svg("desc", {id: "levels-desc"}, LEVELS.map(function (l) { return l[1] + " " + (counts[l[0]] || 0) + " 条"; }).join("，")));
    LEVELS.forEach(function (l, i) {
      var n = counts[l[0]] || 0, y = i * rowH, w = Math.max(n ? 2 : 0, chartW * n / max);
      s.appendChild(svg("text", {x: 0, y: y + 20, "font-size": 16, fill: "#1a1a1a"}, l[1]));
      s.appendChild(svg("rect", {x: labelW, y: y + 4, width: w, height: 22, rx: 3, fill: COLORS[l[0]]}));
      s.appendChild(svg("text", {x: labelW + w + 6, y: y + 20, "font-size": 16, fill: "#1a1a1a",
        "data-level": l[0], "data-value": n}, num(n)));
    });
    box.appendChild(s);
  }

  // The cities' indices as columns, ranked cities first: people compare heights faster than digits.
  function citiesChart(rows) {
    var box = $("cities-chart");
    box.replaceChildren();
    if (!rows.length) return;
    var barW = 30, gap = 14, h = 120, top = 20, width = rows.length * (barW + gap) + gap;
    var s = svg("svg", {viewBox: "0 0 " + width + " " + (h + top + 64), role: "img",
      "aria-labelledby": "cities-title", style: "max-width:" + (width * 1.3) + "px"});
    s.appendChild(svg("title", {id: "cities-title"}, "各市（州）好差评指数：" + rows.map(function (r) {
      return r.name + " " + idx(r.index); }).join("，")));
    rows.forEach(function (r, i) {
      // A city without ratings has the prior as its index: no bar, so nobody reads it as a score.
      var x = gap + i * (barW + gap), v = r.index === null || !r.valid ? 0 : r.index, bh = h * v / 10;
      s.appendChild(svg("rect", {x: x, y: top + h - bh, width: barW, height: bh, rx: 2,
        fill: r.ranked ? "#0b4f8a" : "#9aa7b4"}));
      s.appendChild(svg("text", {x: x + barW / 2, y: top + h - bh - 4, "font-size": 11, "text-anchor": "middle",
        fill: "#1a1a1a"}, r.index === null || !r.valid ? "—" : Number(r.index).toFixed(1)));
      var t = svg("text", {"font-size": 12, fill: "#1a1a1a", transform: "translate(" + (x + barW / 2 + 4) + "," + (top + h + 8) + ") rotate(60)"}, r.name);
      s.appendChild(t);
    });
    box.appendChild(s);
  }

  function table(id, caption, rows, min) {
    var t = $(id);
    t.replaceChildren();
    t.appendChild(el("caption", {}, caption));
    var head = el("thead"), tr = el("tr");
    [["排名", ""], ["名称", ""], ["有效评价", ""], ["好评", "wide"], ["差评", ""], ["指数", ""],
     ["整改率", ""], ["按时率", "wide"]].forEach(function (h) {
      tr.appendChild(el("th", {scope: "col", "class": h[1]}, h[0]));
    });
    head.appendChild(tr);
    t.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr", {"data-code": r.code});
      var rank = el("td", {"data-field": "rank", "data-value": value(r.rank), "class": r.ranked ? "" : "unranked"},
        r.ranked ? r.rank : "不排名");
      if (!r.ranked) rank.setAttribute("title", "有效评价少于 " + min + " 条，不参与排名");
      row.appendChild(rank);
      row.appendChild(el("th", {scope: "row", "data-field": "name"}, r.name));
      [["valid", num, ""], ["good", num, "wide"], ["bad", num, ""], ["index", idx, ""],
       ["rectification_rate", pct, ""], ["on_time_rate", pct, "wide"]].forEach(function (c) {
        row.appendChild(el("td", {"data-field": c[0], "data-value": value(r[c[0]]), "class": c[2]}, c[1](r[c[0]])));
      });
      body.appendChild(row);
    });
    t.appendChild(body);
  }

  function words(id, list) {
    var box = $(id);
    box.replaceChildren();
    if (!list.length) { box.appendChild(el("li", {"class": "note"}, "暂无")); return; }
    var max = list[0].count || 1;
    list.forEach(function (w) {
      var item = el("li", {"data-word": w.word, "data-value": w.count,
        style: "font-size:" + (0.9 + 0.6 * w.count / max).toFixed(2) + "rem"}, w.word);
      item.appendChild(el("small", {}, w.count + " 次"));
      box.appendChild(item);
    });
  }

  function show(data) {
    document.title = data.province.name + "政务服务“好差评”公示";
    $("title").textContent = data.province.name + "政务服务“好差评”公示";
    $("period").textContent = "统计期间：" + (data.from || "开始") + " 至 " + (data.to || "今日") +
      "（数据更新于 " + data.generated_at.replace("T", " ").slice(0, 16) + "）";
    cards(data.rows.province);
    levelsChart(data.rows.province.counts);
    words("words-good", data.hot_words.province.good);
    words("words-bad", data.hot_words.province.bad);
    citiesChart(data.rows.cities);
    table("cities", "按好差评指数排名", data.rows.cities, data.min_ratings_to_rank);
    table("departments", "按好差评指数排名", data.rows.departments, data.min_ratings_to_rank);
    $("rank-note").textContent = "有效评价少于 " + data.min_ratings_to_rank + " 条的地区和部门列出但不参与排名。";
    $("status").textContent = "";
    document.body.setAttribute("data-loaded", "true");
  }

  function load() {
    var params = [];
    if ($("from").value) params.push("from=" + encodeURIComponent($("from").value));
    if ($("to").value) params.push("to=" + encodeURIComponent($("to").value));
    var query = params.length ? "?" + params.join("&") : "";
    document.body.removeAttribute("data-loaded");
    $("status").textContent = "正在加载……";
    // Relative: behind API Gateway the page lives under the stage's path.
    var base = location.pathname.replace(/public\/?$/, "");
    fetch(base + "v1/public/summary" + query, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (a) {
        if (!a.ok) throw new Error(a.body && a.body.message || "查询失败");
        show(a.body);
      })
      .catch(function (e) { $("status").textContent = "加载失败：" + e.message; });
  }

  var search = new URLSearchParams(location.search);
  if (search.get("from")) $("from").value = search.get("from");
  if (search.get("to")) $("to").value = search.get("to");
  $("query").addEventListener("submit", function (e) { e.preventDefault(); load(); });
  load();
})();
