// The digit canvas' front end (anywidget ES module): draw with mouse, touch or pen, send the
// grid of ink to the kernel at most every SEND_MS while drawing and at pen-up, and show the
// 28x28 input and each network's probabilities that come back. Python side: digit_canvas.py.
const SIDE = 280, PEN = 18, SEND_MS = 120;

function el_(tag, css, cls) {
  const node = document.createElement(tag);
  if (css) node.style.cssText = css;
  if (cls) node.className = cls;
  return node;
}

function render({ model, el }) {
  const grid = model.get("grid"), block = SIDE / grid;
  const root = el_("div", "display:flex;gap:18px;align-items:flex-start;font:13px sans-serif",
                   "digit-canvas");
  const left = el_("div", "display:flex;flex-direction:column;gap:6px");
  const pad = el_("canvas", "width:280px;height:280px;border:1px solid #888;background:#fff;"
                  + "touch-action:none;cursor:crosshair", "digit-canvas-pad");
  pad.width = SIDE; pad.height = SIDE;
  const clear = el_("button", "width:80px", "digit-canvas-clear");
  clear.textContent = "Clear";
  left.append(pad, clear);

  const right = el_("div", "display:flex;flex-direction:column;gap:8px");
  const input = el_("canvas", "width:112px;height:112px;border:1px solid #888;"
                    + "image-rendering:pixelated", "digit-canvas-input");
  input.width = 28; input.height = 28;
  const caption = el_("div", "color:#555");
  caption.textContent = "the networks' 28x28 input";
  const results = el_("div", "display:flex;flex-direction:column;gap:10px",
                      "digit-canvas-results");
  right.append(input, caption, results);
  root.append(left, right);
  el.append(root);

  const ctx = pad.getContext("2d");
  let drawing = false, last = null, timer = null;

  function send() {
    timer = null;
    const rgba = ctx.getImageData(0, 0, SIDE, SIDE).data;
    const out = new Array(grid * grid).fill(0);
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        out[Math.floor(y / block) * grid + Math.floor(x / block)] += rgba[4 * (y * SIDE + x) + 3];
      }
    }
    model.set("pixels", out.map((v) => Math.round(v / (block * block))));
    model.save_changes();
  }
  function sendSoon() { if (timer === null) timer = setTimeout(send, SEND_MS); }
  function sendNow() { if (timer !== null) clearTimeout(timer); send(); }

  function at(event) {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * SIDE / box.width,
            (event.clientY - box.top) * SIDE / box.height];
  }
  // Pointer events: mouse, touch and pen alike; touch-action:none keeps a finger from
  // scrolling the page instead of drawing.
  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawing = true; last = at(event);
    ctx.fillStyle = "#000";
    ctx.beginPath(); ctx.arc(last[0], last[1], PEN / 2, 0, 2 * Math.PI); ctx.fill();
    sendSoon();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const point = at(event);
    ctx.strokeStyle = "#000"; ctx.lineWidth = PEN; ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(point[0], point[1]); ctx.stroke();
    last = point;
    sendSoon();  // while drawing, at most every SEND_MS
  });
  const stop = () => { if (drawing) { drawing = false; sendNow(); } };
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);
  clear.addEventListener("click", () => {
    ctx.clearRect(0, 0, SIDE, SIDE);
    model.set("pixels", []); model.save_changes();
  });

  function show() {
    const preview = model.get("preview"), image = input.getContext("2d");
    image.fillStyle = "#fff"; image.fillRect(0, 0, 28, 28);
    if (preview.length === 784) {
      const data = image.createImageData(28, 28);
      preview.forEach((v, i) => {
        data.data.set([255 - v, 255 - v, 255 - v, 255], 4 * i);
      });
      image.putImageData(data, 0, 0);
    }
    results.replaceChildren();
    const readings = model.get("readings");
    if (!readings.length) {
      const blank = el_("div", "color:#555;max-width:300px", "digit-canvas-blank");
      blank.textContent = model.get("status");
      results.append(blank);
      return;
    }
    for (const reading of readings) {
      const row = el_("div", "", "digit-canvas-network");
      const title = el_("div", "margin-bottom:2px", "digit-canvas-top");
      title.textContent = `${reading.name}: ${reading.top} (${(100 * reading.p).toFixed(1)} %)`;
      const bars = el_("div", "display:flex;gap:3px;align-items:flex-end;height:48px");
      reading.probabilities.forEach((p, digit) => {
        const column = el_("div", "display:flex;flex-direction:column;align-items:center;"
                           + "justify-content:flex-end;width:16px;height:48px");
        const bar = el_("div", `width:12px;height:${Math.max(1, Math.round(34 * p))}px;`
                        + `background:${digit === reading.top ? "#1f77b4" : "#9bbcd6"}`,
                        "digit-canvas-bar");
        bar.dataset.p = p.toFixed(4);
        bar.title = `${digit}: ${(100 * p).toFixed(1)} %`;
        const label = el_("div", "font-size:11px");
        label.textContent = digit;
        column.append(bar, label);
        bars.append(column);
      });
      row.append(title, bars);
      results.append(row);
    }
  }
  model.on("change:readings", show);
  model.on("change:preview", show);
  model.on("change:status", show);
  show();
}

export default { render };
