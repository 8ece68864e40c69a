/* accessibility briefing map: compact hexagon themes, facility markers, outlines,
 * basemaps with an offline fallback, and a legend, for Leaflet 1.9.
 *
 * The data lives in <script type="application/json" id="acc-map-data">, written
 * by accessibility/maps.py. Hexagon geometry and values are zigzag/LEB128
 * varint streams in base64 (a 100k-hexagon city stays a few MB), decoded once
 * and drawn on one canvas per visible theme.
 *
 * Every text that comes from a planner's file (facility names, districts,
 * services) reaches the page through textContent, never innerHTML.
 */
(function (window, document) {
  "use strict";
  var L = window.L;
  var AccMap = {};
  var DATA = null;
  var HEX = null;
  var fillThemes = [];   // hexagon fill themes: at most one shown at a time
  var legendControl = null;

  // ------------------------------------------------------------------ decoding
  function bytesOf(b64) {
    var bin = window.atob(b64), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // unsigned LEB128 varints -> Float64Array of `count` values
  function varints(b64, count) {
    var bytes = bytesOf(b64), out = new Float64Array(count), pos = 0, k = 0;
    while (k < count) {
      var v = 0, mul = 1, b;
      do {
        b = bytes[pos++];
        v += (b & 127) * mul;
        mul *= 128;
      } while (b & 128);
      out[k++] = v;
    }
    return out;
  }

  function unzig(u) { return (u % 2) ? -(u + 1) / 2 : u / 2; }

  function mercX(lon) { return (lon + 180) / 360 * 256; }
  function mercY(lat) {
    var s = Math.sin(Math.max(Math.min(lat, 85.0511287798), -85.0511287798) * Math.PI / 180);
    return 128 - 256 / (4 * Math.PI) * Math.log((1 + s) / (1 - s));
  }

  function decodeHexes(h) {
    var s = varints(h.geom, h.geomCount), n = h.n, scale = h.scale;
    var nv = new Uint8Array(n), start = new Uint32Array(n + 1);
    var xs = new Float64Array(h.vertices), ys = new Float64Array(h.vertices);
    var cx = new Float64Array(n), cy = new Float64Array(n), rad = new Float64Array(n);
    var p = 0, v = 0, ax = 0, ay = 0, prevK = -1, off = new Float64Array(64);
    for (var i = 0; i < n; i++) {
      var k = s[p++];
      ax += unzig(s[p++]);
      ay += unzig(s[p++]);
      start[i] = v;
      nv[i] = k;
      var same = (k === prevK);
      var sx = 0, sy = 0, minx = Infinity, maxx = -Infinity, miny = Infinity, maxy = -Infinity;
      for (var j = 0; j < k; j++) {
        var dx = 0, dy = 0;
        if (j > 0) {
          dx = unzig(s[p++]); dy = unzig(s[p++]);
          if (same) { dx += off[2 * j]; dy += off[2 * j + 1]; }
          off[2 * j] = dx; off[2 * j + 1] = dy;
        }
        var x = mercX((ax + dx) / scale), y = mercY((ay + dy) / scale);
        xs[v] = x; ys[v] = y; v++;
        sx += x; sy += y;
        if (x < minx) minx = x; if (x > maxx) maxx = x;
        if (y < miny) miny = y; if (y > maxy) maxy = y;
      }
      prevK = k;
      cx[i] = sx / k; cy[i] = sy / k;
      rad[i] = Math.max(maxx - minx, maxy - miny) / 2;
    }
    start[n] = v;
    var fields = {};
    Object.keys(h.fields).forEach(function (name) {
      var f = h.fields[name], raw = varints(f.b64, n), vals = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        vals[i] = f.missing ? (raw[i] === 0 ? NaN : (raw[i] - 1) / f.scale) : raw[i] / f.scale;
      }
      fields[name] = vals;
    });
    return {n: n, nv: nv, start: start, xs: xs, ys: ys, cx: cx, cy: cy, rad: rad, fields: fields};
  }

  function data() {
    if (DATA === null) {
      DATA = JSON.parse(document.getElementById("acc-map-data").textContent);
      var t0 = (window.performance ? window.performance.now() : 0);
      HEX = decodeHexes(DATA.hex);
      AccMap.decodeMs = (window.performance ? window.performance.now() : 0) - t0;
    }
    return DATA;
  }

  // ------------------------------------------------------------------ formatting
  function fmtInt(x) {
    var s = String(Math.round(Math.abs(x))), out = "";
    while (s.length > 3) { out = "," + s.slice(-3) + out; s = s.slice(0, -3); }
    return (x < 0 ? "-" : "") + s + out;
  }

  function fmtValue(v, fmt, labels) {
    if (v !== v) return labels.notReachable;
    if (fmt === "min") return v.toFixed(1) + " " + labels.min;
    if (fmt === "pct") return (v * 100).toFixed(1) + "%";
    return fmtInt(v);
  }

  // fill a disc (pixel centres within r of x, y)
  function disc(buf, W, H, x, y, r, col) {
    var ya = Math.max(0, Math.ceil(y - r - 0.5)), yb = Math.min(H - 1, Math.floor(y + r - 0.5));
    for (var py = ya; py <= yb; py++) {
      var dy = py + 0.5 - y, half = Math.sqrt(Math.max(r * r - dy * dy, 0));
      var xa = Math.max(0, Math.ceil(x - half - 0.5)), xb = Math.min(W - 1, Math.floor(x + half - 0.5));
      for (var px = xa, row = py * W; px <= xb; px++) buf[row + px] = col;
    }
  }

  // "#rrggbb" -> a pixel of a Uint32Array view on ImageData (little-endian RGBA)
  var rgbaCache = {};
  function rgba32(hex) {
    if (!hex) return 0;
    if (rgbaCache[hex] === undefined) {
      var v = parseInt(hex.slice(1), 16);
      rgbaCache[hex] = ((255 << 24) | ((v & 255) << 16) | (v & 0xff00) | ((v >> 16) & 255)) >>> 0;
    }
    return rgbaCache[hex];
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function table(rows) {
    var t = el("table", "acc-popup-table");
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("th", null, r[0]));
      tr.appendChild(el("td", null, r[1]));
      t.appendChild(tr);
    });
    return t;
  }

  // ------------------------------------------------------------------ hexagon themes
  function classOf(theme, vals) {
    var n = vals.length, cls = new Uint8Array(n), b = theme.breaks;
    for (var i = 0; i < n; i++) {
      var v = vals[i];
      if (v !== v) { cls[i] = theme.nanClass; continue; }
      var c = 0;
      while (c < b.length && v > b[c]) c++;
      cls[i] = c;
    }
    return cls;
  }

  var HexLayer = L.Layer.extend({
    options: {pane: "overlayPane", opacity: 0.72, padding: 0.3},

    initialize: function (theme) {
      this._theme = theme;
      this._buckets = null;
    },

    _prepare: function () {
      if (this._buckets) return;
      var t = this._theme, vals = HEX.fields[t.field], n = HEX.n, i;
      if (t.kind === "circles") {
        var order = [], max = 0;
        for (i = 0; i < n; i++) if (vals[i] > 0) { order.push(i); if (vals[i] > max) max = vals[i]; }
        order.sort(function (a, b) { return vals[b] - vals[a]; });
        this._order = order;
        this._max = max;
        this._buckets = [];
        return;
      }
      var cls = t.classField ? HEX.fields[t.classField] : classOf(t, vals);
      var buckets = t.colors.map(function () { return []; });
      for (i = 0; i < n; i++) {
        var c = cls[i];
        if (c >= 0 && c < buckets.length && t.colors[c]) buckets[c].push(i);
      }
      this._buckets = buckets;
    },

    onAdd: function (map) {
      data();
      this._prepare();
      var c = this._canvas = L.DomUtil.create("canvas", "acc-hex-canvas leaflet-zoom-hide");
      c.style.position = "absolute";
      c.style.pointerEvents = "none";
      c.style.opacity = this._theme.kind === "circles" ? 0.9 : this.options.opacity;
      this.getPane().appendChild(c);
      map.on("moveend zoomend resize viewreset", this._redraw, this);
      if (this._theme.kind === "fill") {
        fillThemes.forEach(function (other) { if (other !== this && map.hasLayer(other)) map.removeLayer(other); }, this);
      }
      this._redraw();
    },

    onRemove: function (map) {
      map.off("moveend zoomend resize viewreset", this._redraw, this);
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },

    getAttribution: function () { return DATA ? DATA.labels.dataAttribution : ""; },

    _redraw: function () {
      var map = this._map, c = this._canvas;
      if (!map || !c) return;
      var size = map.getSize(), pad = this.options.padding;
      var min = map.containerPointToLayerPoint(size.multiplyBy(-pad)).round();
      var w = Math.round(size.x * (1 + 2 * pad)), h = Math.round(size.y * (1 + 2 * pad));
      var dpr = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, min);
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
      c.style.width = w + "px"; c.style.height = h + "px";
      // a bitmap-backed canvas, rasterised once per redraw: the default (a recorded display list)
      // is re-rasterised at every repaint of the page, seconds each for 100k hexagons on a CPU
      var ctx = c.getContext("2d", {willReadFrequently: true});
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      var crs = map.options.crs, z = map.getZoom();
      var k = crs.scale(z) / crs.scale(0);
      var origin = map.getPixelOrigin();
      var ox = origin.x + min.x, oy = origin.y + min.y;
      // the view in zoom-0 units, for culling
      var x0 = ox / k, y0 = oy / k, x1 = (ox + w) / k, y1 = (oy + h) / k;
      this._k = k; this._ox = ox; this._oy = oy;
      if (this._theme.kind === "circles") return this._drawCircles(ctx, k, ox, oy, x0, y0, x1, y1);
      // Fill: scanline rasterisation into an ImageData (pixel centres, half-open spans, so
      // neighbours neither overlap nor leave gaps). A canvas path of 100k hexagons takes
      // 10-20 s to rasterise on a CPU; this takes tens of milliseconds.
      var W = c.width, H = c.height, img = ctx.createImageData(W, H), buf = new Uint32Array(img.data.buffer);
      var s = k * dpr, oxd = ox * dpr, oyd = oy * dpr, visible = [];
      var xs = HEX.xs, ys = HEX.ys, st = HEX.start, cx = HEX.cx, cy = HEX.cy, rad = HEX.rad;
      var px = new Float64Array(64), py = new Float64Array(64);
      for (var b = 0; b < this._buckets.length; b++) {
        var idx = this._buckets[b], col = rgba32(this._theme.colors[b]);
        for (var q = 0; q < idx.length; q++) {
          var i = idx[q], r = rad[i];
          if (cx[i] + r < x0 || cx[i] - r > x1 || cy[i] + r < y0 || cy[i] - r > y1) continue;
          visible.push(i);
          var s0 = st[i], n = st[i + 1] - s0, ymin = Infinity, ymax = -Infinity;
          for (var j = 0; j < n; j++) {
            px[j] = xs[s0 + j] * s - oxd; py[j] = ys[s0 + j] * s - oyd;
            if (py[j] < ymin) ymin = py[j];
            if (py[j] > ymax) ymax = py[j];
          }
          var ya = Math.max(0, Math.ceil(ymin - 0.5)), yb = Math.min(H - 1, Math.ceil(ymax - 0.5) - 1);
          if (ya > yb) {  // smaller than a pixel: paint the pixel under its centre
            var ux = Math.floor(cx[i] * s - oxd), uy = Math.floor(cy[i] * s - oyd);
            if (ux >= 0 && ux < W && uy >= 0 && uy < H) buf[uy * W + ux] = col;
            continue;
          }
          for (var y = ya; y <= yb; y++) {
            var yc = y + 0.5, xl = Infinity, xr = -Infinity;
            for (var e = 0; e < n; e++) {
              var e1 = (e + 1) % n, ax = px[e], ay = py[e], bx = px[e1], by = py[e1];
              if (ay > by) { var tx = ax; ax = bx; bx = tx; var ty = ay; ay = by; by = ty; }
              if (yc < ay || yc >= by) continue;
              var xi = ax + (yc - ay) * (bx - ax) / (by - ay);
              if (xi < xl) xl = xi;
              if (xi > xr) xr = xi;
            }
            var xa = Math.max(0, Math.ceil(xl - 0.5)), xb = Math.min(W - 1, Math.ceil(xr - 0.5) - 1);
            for (var x = xa, row = y * W; x <= xb; x++) buf[row + x] = col;
          }
        }
      }
      ctx.putImageData(img, 0, 0);
      // white outlines once hexagons are large and few
      if (visible.length && visible.length < 4000 && rad[visible[0]] * k > 7) {
        ctx.beginPath();
        for (var v = 0; v < visible.length; v++) {
          var h = visible[v], a0 = st[h], a1 = st[h + 1];
          ctx.moveTo(xs[a0] * k - ox, ys[a0] * k - oy);
          for (var m = a0 + 1; m < a1; m++) ctx.lineTo(xs[m] * k - ox, ys[m] * k - oy);
          ctx.closePath();
        }
        ctx.strokeStyle = "rgba(255,255,255,0.7)";
        ctx.lineWidth = 0.6;
        ctx.stroke();
      }
    },

    _radius: function (v) {
      var t = this._theme;
      return t.rmin + (t.rmax - t.rmin) * Math.sqrt(v / t.vmax);
    },

    _drawCircles: function (ctx, k, ox, oy, x0, y0, x1, y1) {
      // largest first, rasterised as discs with a white rim into an ImageData: 100k canvas arcs
      // (or even sprites) take seconds on a CPU, this takes milliseconds
      var vals = HEX.fields[this._theme.field], cx = HEX.cx, cy = HEX.cy, order = this._order;
      var c = this._canvas, W = c.width, H = c.height, dpr = W / (x1 - x0) / k;
      var img = ctx.createImageData(W, H), buf = new Uint32Array(img.data.buffer);
      var col = rgba32(this._theme.color), white = rgba32("#ffffff");
      for (var q = 0; q < order.length; q++) {
        var i = order[q];
        if (cx[i] < x0 || cx[i] > x1 || cy[i] < y0 || cy[i] > y1) continue;
        var r = this._radius(vals[i]) * dpr, x = (cx[i] * k - ox) * dpr, y = (cy[i] * k - oy) * dpr;
        disc(buf, W, H, x, y, r + dpr, white);
        disc(buf, W, H, x, y, r, col);
      }
      ctx.putImageData(img, 0, 0);
    }
  });

  // the hexagon under a point (zoom-0 units), or -1
  function hexAt(px, py) {
    var xs = HEX.xs, ys = HEX.ys, st = HEX.start;
    for (var i = 0; i < HEX.n; i++) {
      var r = HEX.rad[i];
      if (Math.abs(HEX.cx[i] - px) > r || Math.abs(HEX.cy[i] - py) > r) continue;
      var inside = false;
      for (var a = st[i], b = st[i + 1] - 1; a < st[i + 1]; b = a++) {
        if (((ys[a] > py) !== (ys[b] > py)) && (px < (xs[b] - xs[a]) * (py - ys[a]) / (ys[b] - ys[a]) + xs[a])) inside = !inside;
      }
      if (inside) return i;
    }
    return -1;
  }

  function onMapClick(e) {
    var map = e.target, active = [];
    map.eachLayer(function (l) { if (l instanceof HexLayer) active.push(l._theme); });
    if (!active.length) return;
    var p = map.project(e.latlng, 0), i = hexAt(p.x, p.y);
    if (i < 0) return;
    var labels = DATA.labels, rows = [];
    DATA.hexPopup.forEach(function (f) { rows.push([f.label, fmtValue(HEX.fields[f.field][i], f.fmt, labels)]); });
    active.forEach(function (t) {
      t.popup.forEach(function (f) { rows.push([f.label, fmtValue(HEX.fields[f.field][i], f.fmt, labels)]); });
    });
    var box = el("div", "acc-popup");
    box.appendChild(table(rows));
    L.popup({maxWidth: 360}).setLatLng(e.latlng).setContent(box).openOn(map);
  }

  // ------------------------------------------------------------------ facilities, outlines
  function facilityPopup(rec) {
    var box = el("div", "acc-popup");
    box.appendChild(el("div", "acc-popup-title", rec.title));
    box.appendChild(table(rec.rows));
    return box;
  }

  // a five-pointed star with the site's rank: suggested sites are told from the round markers and circles at a glance
  var SVG_NS = "http://www.w3.org/2000/svg";
  function starIcon(spec, rank) {
    var size = 2 * spec.radius + 4, svg = document.createElementNS(SVG_NS, "svg"), pts = [];
    for (var k = 0; k < 10; k++) {
      var r = (k % 2 ? 0.45 : 1) * (size / 2 - 1), a = Math.PI * k / 5 - Math.PI / 2;
      pts.push((size / 2 + r * Math.cos(a)).toFixed(2) + "," + (size / 2 + r * Math.sin(a) + 1).toFixed(2));
    }
    svg.setAttribute("width", size); svg.setAttribute("height", size); svg.setAttribute("viewBox", "0 0 " + size + " " + size);
    var star = document.createElementNS(SVG_NS, "polygon");
    star.setAttribute("points", pts.join(" "));
    star.setAttribute("fill", spec.color); star.setAttribute("stroke", spec.stroke); star.setAttribute("stroke-width", "1.5");
    svg.appendChild(star);
    if (rank !== undefined && rank !== null) {
      var t = document.createElementNS(SVG_NS, "text");
      t.setAttribute("x", size / 2); t.setAttribute("y", size / 2 + 4.5); t.setAttribute("text-anchor", "middle");
      t.setAttribute("class", "acc-star-rank");
      t.textContent = String(rank);
      svg.appendChild(t);
    }
    var box = el("div", "acc-star");
    box.appendChild(svg);
    return L.divIcon({html: box, className: "acc-star-icon", iconSize: [size, size], iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2]});
  }

  function facilityLayer(spec) {
    var group = L.featureGroup();
    if (spec.symbol === "star") {
      spec.items.forEach(function (it) {
        L.marker([it.lat, it.lon], {icon: starIcon(spec, it.rank), accId: it.id, zIndexOffset: 1000, keyboard: false, bubblingMouseEvents: false})
          .bindPopup(facilityPopup(it)).addTo(group);
      });
      return group;
    }
    var style = {color: spec.color, weight: 1.5, fillColor: spec.color, fillOpacity: 0.25, bubblingMouseEvents: false};
    spec.items.forEach(function (it) {
      var popup = facilityPopup(it);
      if (it.rings) {
        var rings = it.rings.map(function (ring) { return ring.map(function (c) { return [c[1], c[0]]; }); });
        L.polygon(rings, style).bindPopup(popup).addTo(group);
      }
      L.circleMarker([it.lat, it.lon], {
        radius: spec.radius, color: spec.stroke, weight: 1.5, fillColor: spec.color, fillOpacity: 0.95,
        bubblingMouseEvents: false, accId: it.id
      }).bindPopup(popup).addTo(group);
    });
    return group;
  }

  function outlineLayer(spec) {
    var group = L.featureGroup();
    spec.items.forEach(function (it) {
      var latlngs = it.polys.map(function (poly) {
        return poly.map(function (ring) { return ring.map(function (c) { return [c[1], c[0]]; }); });
      });
      var shape = L.polygon(latlngs, {color: spec.color, weight: spec.weight, dashArray: spec.dash, fill: false, interactive: !!it.name});
      if (it.name) shape.bindTooltip(el("span", null, it.name), {sticky: true});
      shape.addTo(group);
    });
    return group;
  }

  // ------------------------------------------------------------------ basemaps
  var noneLayer = null;

  function basemapLayer(spec, map) {
    var layers = spec.tiles.map(function (t) { return L.tileLayer(t.url, t.options); });
    var group = L.layerGroup(layers);
    var loaded = 0, failed = 0;
    layers.forEach(function (tl) {
      tl.on("tileload", function () { loaded++; });
      tl.on("tileerror", function () {
        failed++;
        // offline (e.g. the file opened from a USB stick): fall back to no basemap, once
        if (loaded === 0 && failed >= 4 && map.hasLayer(group) && noneLayer) {
          map.removeLayer(group);
          map.addLayer(noneLayer);
          notice(map, DATA.labels.tilesOffline);
        }
      });
    });
    return group;
  }

  function notice(map, text) {
    if (map._accNotice) return;
    var c = L.control({position: "topleft"});
    c.onAdd = function () { return el("div", "acc-notice leaflet-bar", text); };
    c.addTo(map);
    map._accNotice = c;
  }

  // ------------------------------------------------------------------ legend
  function swatch(color, shape) {
    var s = el("span", "acc-swatch" + (shape ? " acc-swatch-" + shape : ""));
    if (shape === "line") s.style.borderColor = color; else s.style.background = color;
    return s;
  }

  function legendRow(parent, color, label, shape) {
    var row = el("div", "acc-legend-row");
    row.appendChild(swatch(color, shape));
    row.appendChild(el("span", null, label));
    parent.appendChild(row);
  }

  function renderLegend(map, box) {
    box.textContent = "";
    var any = false;
    map.eachLayer(function (l) {
      if (!(l instanceof HexLayer)) return;
      var t = l._theme, sec = el("div", "acc-legend-section");
      sec.appendChild(el("div", "acc-legend-title", t.legendTitle));
      if (t.kind === "circles") {
        t.samples.forEach(function (v) {
          var row = el("div", "acc-legend-row"), d = 2 * l._radius(v), s = el("span", "acc-swatch-circle");
          s.style.width = d + "px"; s.style.height = d + "px"; s.style.background = t.color;
          row.appendChild(s);
          row.appendChild(el("span", null, fmtInt(v) + " " + DATA.labels.people));
          sec.appendChild(row);
        });
      } else {
        t.colors.forEach(function (c, i) { if (c && t.legendLabels[i]) legendRow(sec, c, t.legendLabels[i]); });
      }
      box.appendChild(sec);
      any = true;
    });
    var fac = el("div", "acc-legend-section"), nfac = 0, sites = [];
    fac.appendChild(el("div", "acc-legend-title", DATA.labels.facilities));
    var out = el("div", "acc-legend-section"), nout = 0;
    out.appendChild(el("div", "acc-legend-title", DATA.labels.outlines));
    map.eachLayer(function (l) {
      if (l._accFacility) {
        if (l._accFacility.symbol === "star") sites.push(l._accFacility);
        else legendRow(fac, l._accFacility.color, l._accFacility.label, "dot");
        nfac++;
      }
      if (l._accOutline) { legendRow(out, l._accOutline.color, l._accOutline.label, "line"); nout++; }
    });
    sites.forEach(function (f) {
      var row = el("div", "acc-legend-row"), icon = starIcon({radius: 6, color: f.color, stroke: f.stroke}).options.html;
      icon.className = "acc-swatch-star";
      row.appendChild(icon);
      row.appendChild(el("span", null, f.label));
      fac.appendChild(row);
    });
    if (nfac) { box.appendChild(fac); any = true; }
    if (nout) { box.appendChild(out); any = true; }
    box.style.display = any ? "" : "none";
  }

  function ensureLegend(map) {
    if (legendControl) return;
    legendControl = L.control({position: "bottomleft"});
    legendControl.onAdd = function () {
      var box = el("div", "acc-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    legendControl.addTo(map);
    // Fill themes are exclusive. When one is ticked in the layer control, untick the others
    // before Leaflet's own click handler reads the boxes (capture phase), so it removes them.
    map.getContainer().addEventListener("click", function (e) {
      var input = e.target;
      if (!input || !input.checked || !input.classList || !input.classList.contains("leaflet-control-layers-selector")) return;
      var ids = fillThemes.map(function (l) { return L.stamp(l); });
      if (ids.indexOf(input.layerId) < 0) return;
      var boxes = map.getContainer().querySelectorAll("input.leaflet-control-layers-selector");
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i] !== input && ids.indexOf(boxes[i].layerId) >= 0) boxes[i].checked = false;
      }
    }, true);
    var update = function () { renderLegend(map, legendControl.getContainer()); };
    map.on("layeradd layerremove", update);
    map.whenReady(update);
    map.on("click", onMapClick);
    // a map for Chinese officials: no Leaflet flag before the attribution, a metric scale only
    if (map.attributionControl) {
      map.attributionControl.setPrefix(false);
      map.attributionControl.addAttribution(DATA.labels.dataAttribution);
    }
    L.control.scale({imperial: false, metric: true, position: "bottomright"}).addTo(map);
    // print: the page's size changes (A4, see briefing_map.css); redraw for it and back after
    var resize = function () { map.invalidateSize({animate: false}); };
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
    if (window.matchMedia) {
      var mq = window.matchMedia("print");
      if (mq.addEventListener) mq.addEventListener("change", resize);
    }
  }

  // ------------------------------------------------------------------ entry point
  /** Build layer number `index` of the data block (called by the folium elements). */
  AccMap.layer = function (index, map) {
    var d = data(), spec = typeof index === "number" ? d.layers[index].spec : index;
    ensureLegend(map);
    if (spec.type === "theme") {
      var t = d.themes[spec.index], layer = new HexLayer(t);
      if (t.kind === "fill") fillThemes.push(layer);
      return layer;
    }
    if (spec.type === "facilities") {
      var f = d.facilities[spec.index], g = facilityLayer(f);
      g._accFacility = f;
      return g;
    }
    if (spec.type === "outline") {
      var o = d.outlines[spec.index], og = outlineLayer(o);
      og._accOutline = o;
      return og;
    }
    if (spec.type === "none") {
      noneLayer = L.layerGroup();
      return noneLayer;
    }
    return basemapLayer(spec, map);
  };

  /** The layer control: `layers` in the order of the data block's layers, named from it (names are escaped HTML). */
  AccMap.control = function (layers, map, options) {
    var d = data(), base = {}, overlays = {};
    // in a narrow frame (a 600 px iframe) the layer list folds into its button, leaving room for headline and legend
    if (map.getSize().x < 760) options = L.extend({}, options, {collapsed: true});
    layers.forEach(function (layer, i) {
      var meta = d.layers[i];
      (meta.overlay ? overlays : base)[meta.name] = layer;
    });
    return L.control.layers(base, overlays, options).addTo(map);
  };

  /** Marker positions of a facility layer (for tests and scripts): [[id, lat, lng], ...]. */
  AccMap.markers = function (layer) {
    var out = [];
    layer.eachLayer(function (m) { if (m instanceof L.CircleMarker || m instanceof L.Marker) { var p = m.getLatLng(); out.push([m.options.accId, p.lat, p.lng]); } });
    return out;
  };

  AccMap.hexCount = function () { data(); return HEX.n; };
  AccMap.HexLayer = HexLayer;
  window.AccMap = AccMap;
})(window, document);
