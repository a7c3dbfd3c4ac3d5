// The rating form shared by the terminal (/terminal) and the phone (/rate): five levels as large
// buttons with their words, then the province's tags for that level, an optional comment and an
// optional phone (with the PIPL notice), then a thank-you screen. No framework, no inline script.
"use strict";

window.RatingScreen = (function () {
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v !== undefined && v !== null) node.setAttribute(k, v);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function newRatingId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "t" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The local time with its offset, as the API wants it (2026-09-30T17:00:00+08:00).
  function localIso(date) {
    const pad = (n) => String(Math.abs(n)).padStart(2, "0");
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
      `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
    );
  }

  // settings: {levels, tags: {good, bad}, reason_required, sub_scores, idle_seconds}
  // submit(rating) → Promise<{ok: bool, message?: string}>
  function mount(root, settings, submit, options) {
    const idleMs = 1000 * (settings.idle_seconds || 20);
    let idleTimer = null;
    let current = null;

    function idle(restart) {
      clearTimeout(idleTimer);
      if (restart) idleTimer = setTimeout(start, idleMs);
    }

    function start() {
      idle(false);
      current = null;
      root.replaceChildren();
      root.dataset.step = "levels";
      root.append(el("h1", {id: "ask"}, "请您对本次服务进行评价"));
      const list = el("div", {class: "levels", role: "group", "aria-labelledby": "ask"});
      settings.levels.forEach((level) => {
        const button = el("button", {type: "button", class: `level level-${level.satisfaction}`, "data-level": level.satisfaction});
        button.append(el("span", {class: "word"}, level.word));
        button.addEventListener("click", () => details(level));
        list.append(button);
      });
      root.append(list);
    }

    function details(level) {
      // The idempotency key and the time are fixed when the level is tapped.
      current = {rating_id: newRatingId(), rated_at: localIso(new Date()), satisfaction: level.satisfaction};
      const good = level.satisfaction >= 3;
      const needReason = !good && settings.reason_required;
      root.replaceChildren();
      root.dataset.step = "details";
      idle(true);
      root.oninput = () => idle(true);
      root.append(el("h1", {id: "chosen"}, `您的评价：${level.word}`));
      const form = el("form", {id: "details", novalidate: "novalidate"});
      const tags = el("fieldset", {class: "tags"});
      tags.append(el("legend", {}, needReason ? "请选择不满意的原因（至少选一项或填写意见）" : "可选择评价标签"));
      (good ? settings.tags.good : settings.tags.bad).forEach((tag, i) => {
        const id = `tag-${i}`;
        const box = el("input", {type: "checkbox", id, name: "tags", value: tag});
        const label = el("label", {for: id, class: "tag"});
        label.append(box, el("span", {}, tag));
        tags.append(label);
      });
      form.append(tags);
      if ((settings.sub_scores || []).length) {
        const subs = el("fieldset", {class: "subs"});
        subs.append(el("legend", {}, "分项评价（可选）"));
        settings.sub_scores.forEach((dim) => {
          const id = `sub-${dim.name}`;
          const select = el("select", {id, name: `sub:${dim.name}`});
          select.append(el("option", {value: ""}, "不评"));
          settings.levels.forEach((l) => select.append(el("option", {value: l.satisfaction}, l.word)));
          const label = el("label", {for: id}, dim.label);
          subs.append(label, select);
        });
        form.append(subs);
      }
      form.append(el("label", {for: "comment"}, needReason ? "意见建议" : "意见建议（可选）"));
      form.append(el("textarea", {id: "comment", name: "comment", maxlength: "500", rows: "3"}));
      form.append(el("label", {for: "phone"}, "手机号码（可选）"));
      form.append(el("input", {id: "phone", name: "phone", type: "tel", inputmode: "numeric", maxlength: "11", autocomplete: "tel", "aria-describedby": "pipl"}));
      form.append(
        el("p", {id: "pipl", class: "notice"},
          "个人信息说明：手机号码仅用于工作人员就本次评价回访、告知整改结果，加密保存，不向被评价人员显示，不用于其他用途。不填写也可以评价。")
      );
      const hint = el("p", {id: "reason-hint", class: "error", role: "alert"});
      form.append(hint);
      const actions = el("div", {class: "actions"});
      const back = el("button", {type: "button", class: "secondary", id: "back"}, "返回");
      back.addEventListener("click", start);
      const send = el("button", {type: "submit", class: "primary", id: "submit"}, "提交评价");
      actions.append(back, send);
      form.append(actions);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const chosen = Array.from(form.querySelectorAll("input[name=tags]:checked"), (b) => b.value);
        const comment = form.comment.value.trim();
        const phone = form.phone.value.trim();
        if (needReason && !chosen.length && !comment) {
          hint.textContent = "请至少选择一项原因或填写意见。";
          return;
        }
        if (phone && !/^1[3-9][0-9]{9}$/.test(phone)) {
          hint.textContent = "请填写 11 位手机号码，或不填写。";
          return;
        }
        const rating = {...current};
        if (chosen.length) rating.tags = chosen;
        if (comment) rating.comment = comment;
        if (phone) rating.phone = phone;
        const subs = {};
        form.querySelectorAll("select[name^='sub:']").forEach((s) => {
          if (s.value) subs[s.name.slice(4)] = Number(s.value);
        });
        if (Object.keys(subs).length) rating.sub_scores = subs;
        send.disabled = true;
        const outcome = await submit(rating);
        send.disabled = false;
        if (outcome.ok) thanks(outcome.message);
        else hint.textContent = outcome.message;
      });
      root.append(form);
      const first = form.querySelector("input,textarea");
      if (first) first.focus();
    }

    function thanks(message) {
      root.replaceChildren();
      root.dataset.step = "thanks";
      root.append(el("h1", {id: "thanks"}, "感谢您的评价！"));
      root.append(el("p", {class: "lead"}, message || "您的意见是我们改进服务的动力。"));
      if (!(options && options.once)) {
        const again = el("button", {type: "button", class: "primary", id: "again"}, "返回首页");
        again.addEventListener("click", start);
        root.append(again);
        idle(true);
      }
    }

    start();
    return {start, thanks};
  }

  return {mount, el, localIso};
})();
