// The little JavaScript of the web app: calls to the JSON API with the page's CSRF token,
// live validation of the note form, the signature pad, and the identity-check steps.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw data;
  return data;
}

function say(root, error) {
  const box = $("[data-error]", root) || $("[data-error]");
  if (box) box.textContent = error && error.message_zh ? error.message_zh : "网络错误，请重试";
  if (error && error.field && root) {
    const leaf = error.field.split(".").pop();
    const input = root.querySelector(`[name="${leaf}"]`);
    if (input) input.classList.add("invalid");
  }
}

function busy(button, on) {
  if (button) button.disabled = on;
}

// ---- login -------------------------------------------------------------------------------
function login() {
  const form = $("#login");
  if (!form) return;
  $("#send-code").addEventListener("click", async (event) => {
    busy(event.target, true);
    try {
      const sent = await api("POST", "/api/v1/login/code", { phone: form.phone.value.trim() });
      let note = `验证码已发送至 ${sent.sent_to}`;
      if (form.dataset.dev !== undefined) {
        const inbox = await api("GET", `/api/v1/dev/inbox?phone=${encodeURIComponent(form.phone.value.trim())}`);
        if (inbox.messages.length) note += `（开发环境验证码：${inbox.messages[0].code}）`;
      }
      $("[data-error]", form).textContent = note;
    } catch (error) { say(form, error); }
    busy(event.target, false);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/v1/login/verify", { phone: form.phone.value.trim(), code: form.code.value.trim() });
      location.href = form.dataset.next || "/notes";
    } catch (error) { say(form, error); }
  });
}

// ---- the note form, with live validation --------------------------------------------------
function terms(form) {
  const found = { template: form.dataset.template };
  for (const field of $$("input, select, textarea", form)) {
    if (field.disabled || !field.name || field.name.startsWith("cp_") || field.name === "disclaimer") continue;
    if (field.value.trim() !== "") found[field.name] = field.value.trim();
  }
  return found;
}

// "terms.principal：必填项未填写" reads better as "借款金额（元）：必填项未填写".
function labelled(form, problem) {
  const leaf = (problem.field || "").split(".").pop();
  const input = leaf && form.querySelector(`[name="${leaf}"]`);
  const label = input && input.closest("label");
  const text = label ? label.firstChild.textContent.trim() : "";
  const rule = String(problem.message_zh).split("：").pop();
  return text && problem.rule === undefined ? `${text}：${rule}` : problem.message_zh;
}

function showPreview(form, preview) {
  $$(".invalid", form).forEach((input) => input.classList.remove("invalid"));
  const list = $("[data-problems]", form);
  list.innerHTML = "";
  for (const problem of preview.problems || []) {
    const item = document.createElement("li");
    item.textContent = labelled(form, problem);
    item.dataset.rule = problem.rule;
    list.appendChild(item);
    const leaf = (problem.field || "").split(".").pop();
    const input = leaf && form.querySelector(`[name="${leaf}"]`);
    if (input) input.classList.add("invalid");
  }
  for (const box of $$("[data-capitals]", form)) {
    box.textContent = (preview.capitals || {})[box.dataset.capitals] || "";
  }
  const schedule = $("[data-schedule]", form);
  if (schedule) {
    schedule.textContent = preview.totals
      ? `共 ${preview.schedule.length} 期，应还合计 ¥${preview.totals.payment}（利息 ¥${preview.totals.interest}）`
      : "";
  }
}

function draft() {
  const form = $("#draft");
  if (!form) return;
  let timer = null;
  const check = async () => {
    try {
      showPreview(form, await api("POST", "/api/v1/notes/preview", { terms: terms(form) }));
    } catch (error) {
      // A form still being filled in is not an error worth shouting about.
      showPreview(form, { problems: error.message_zh ? [error] : [] });
    }
  };
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 300); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(check, 100); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("button[type=submit]", form);
    busy(button, true);
    try {
      const ref = await api("POST", "/api/v1/notes", {
        accepted_disclaimer_version: form.disclaimer.checked ? form.disclaimer.value : null,
        counterparty: { display_name: form.cp_name.value.trim(), phone: form.cp_phone.value.trim() },
        terms: terms(form),
      });
      location.href = `/notes/${ref.note_id}`;
    } catch (error) { say(form, error); busy(button, false); }
  });
}

// ---- identity ----------------------------------------------------------------------------
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function idNumberProblem(value) {
  if (value.length !== 18) return "身份证号应为 18 位";
  if (!/^\d{17}[\dXx]$/.test(value)) return "前 17 位应为数字，最后一位为数字或 X";
  const sum = WEIGHTS.reduce((total, weight, i) => total + weight * Number(value[i]), 0);
  return "10X98765432"[sum % 11] === value[17].toUpperCase() ? "" : "校验码不正确，请检查";
}

function identity() {
  const form = $("#identity");
  if (!form) return;
  const input = $("[data-id-number]", form);
  input.addEventListener("input", () => {
    const problem = input.value ? idNumberProblem(input.value.trim()) : "";
    input.classList.toggle("invalid", problem !== "");
    $("[data-error]", form).textContent = problem;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/v1/identity", { legal_name: form.legal_name.value.trim(), id_number: form.id_number.value.trim() });
      location.href = form.dataset.next || "/notes";
    } catch (error) { say(form, error); }
  });
}

// ---- buttons that post to the API ---------------------------------------------------------
function actions() {
  for (const button of $$("[data-post]")) {
    button.addEventListener("click", async () => {
      if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
      let body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
      if (button.dataset.prompt) {
        const answer = prompt(button.dataset.promptText || "");
        if (answer === null) return;
        body = { ...body, [button.dataset.prompt]: answer };
      }
      busy(button, true);
      try {
        const result = await api("POST", button.dataset.post, body);
        if (button.dataset.nextFrom) location.href = `/notes/${result[button.dataset.nextFrom]}`;
        else if (button.dataset.next) location.href = button.dataset.next;
        else location.reload();
      } catch (error) { say(button.parentElement, error); busy(button, false); }
    });
  }
  for (const button of $$("[data-copy]")) {
    button.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(button.dataset.copy));
  }
  for (const input of $$("[data-load-into]")) {
    input.addEventListener("change", async () => {
      const target = input.form.elements[input.dataset.loadInto];
      target.value = await input.files[0].text();
    });
  }
}

// ---- the signature pad (mouse, pen and touch through pointer events) ----------------------
function pad(canvas) {
  const context = canvas.getContext("2d");
  const strokes = [];
  let current = null;
  let start = null;
  context.lineWidth = 4;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#111";
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * canvas.width) / box.width;
    const y = ((event.clientY - box.top) * canvas.height) / box.height;
    if (start === null) start = performance.now();
    return [Math.max(0, Math.round(x * 10) / 10), Math.max(0, Math.round(y * 10) / 10), Math.round(performance.now() - start)];
  };
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    strokes.push(current);
    context.beginPath();
    context.moveTo(current[0][0], current[0][1]);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    const p = point(event);
    current.push(p);
    context.lineTo(p[0], p[1]);
    context.stroke();
  });
  const end = () => { current = null; };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  return {
    strokes,
    clear() { strokes.length = 0; start = null; context.clearRect(0, 0, canvas.width, canvas.height); },
    png() { return canvas.toDataURL("image/png").split(",")[1]; },
  };
}

function fileAsBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1]);
    reader.onerror = reject;
    reader.readAsDataURL(file);
  });
}

function signing() {
  const form = $("#sign");
  if (!form) return;
  const drawn = pad($("[data-pad]", form));
  const checked = () => { $("[data-checked]").hidden = false; };
  $("[data-clear]", form).addEventListener("click", () => drawn.clear());
  $("[data-face]").addEventListener("change", async (event) => {
    try {
      await api("POST", "/api/v1/identity/face", { image_base64: await fileAsBase64(event.target.files[0]) });
      checked();
    } catch (error) { say(form, error); }
  });
  $("[data-alt-code]").addEventListener("click", async () => {
    try { await api("POST", "/api/v1/identity/alternative/code", {}); } catch (error) { say(form, error); }
  });
  $("[data-alt-verify]").addEventListener("click", async () => {
    const body = {};
    for (const input of $$("[data-alt-field]")) body[input.dataset.altField] = input.value.trim();
    try { await api("POST", "/api/v1/identity/alternative", body); checked(); } catch (error) { say(form, error); }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (drawn.strokes.length === 0) { $("[data-error]", form).textContent = "请先手写签名"; return; }
    const body = {
      intent_confirmed: form.intent_confirmed.checked,
      handwriting: { strokes: drawn.strokes, png_base64: drawn.png() },
    };
    if (form.reason_code) { body.reason_code = form.reason_code.value; body.reason_text = form.reason_text.value.trim(); }
    const button = $("button[type=submit]", form);
    busy(button, true);
    try {
      await api("POST", form.dataset.api, body);
      location.href = form.dataset.next;
    } catch (error) { say(form, error); busy(button, false); }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  login();
  draft();
  identity();
  actions();
  signing();
});
