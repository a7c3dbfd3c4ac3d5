// The phone's form opened from a QR code or a signed link: the link's token rides in the address (it is
// what the code holds), the browser's id in an HttpOnly cookie the stack set; nothing is stored here.
"use strict";

(function () {
  const MESSAGES = {
    case_already_rated: "该办件已评价，感谢您的参与。",
    throttled: "今天从本设备对该窗口的评价次数已达上限，感谢您的参与。",
    invalid_link: "此评价链接无效或已过期。",
    validation: "提交的内容不完整，请检查后重试。",
  };

  function boot() {
    const data = document.body.dataset;
    if (data.error) return; // the refusal page, shown by the stylesheet alone
    document.getElementById("department").textContent = data.department || "";
    document.getElementById("window").textContent = data.window || "";
    document.getElementById("case").textContent = data.caseNo ? `办件编号 ${data.caseNo}` : "";
    const root = document.getElementById("rating");
    root.hidden = false;
    const settings = JSON.parse(data.settings);
    settings.reason_required = data.reasonRequired === "true";
    settings.idle_seconds = Number(data.idleSeconds || 20);
    const token = new URLSearchParams(location.search).get("t");
    const screen = window.RatingScreen.mount(root, settings, async (rating) => {
      const {rated_at, ...body} = rating; // the server's time: a phone's clock is not the hall's
      try {
        const answer = await fetch("/v1/qr-ratings", {
          method: "POST",
          headers: {"content-type": "application/json"},
          body: JSON.stringify({t: token, ...body}),
        });
        if (answer.ok) return {ok: true};
        const why = await answer.json().catch(() => ({}));
        if (why.error === "case_already_rated") {
          screen.thanks(MESSAGES.case_already_rated);
          document.body.dataset.outcome = "already_rated";
          return {ok: false, message: MESSAGES.case_already_rated};
        }
        return {ok: false, message: MESSAGES[why.error] || "提交失败，请稍后重试。"};
      } catch (e) {
        return {ok: false, message: "网络不可用，请稍后重试。"};
      }
    }, {once: data.kind === "case"});
    if (data.alreadyRated === "true") {
      screen.thanks(MESSAGES.case_already_rated);
      document.body.dataset.outcome = "already_rated";
    }
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", boot);
})();
