/* 好差评工作台 (the console): one hand-written script, no framework and no CDN.
 *
 * Sign-in: OpenID Connect, authorization code with PKCE (S256), against the issuer that
 * GET /console/config names. The token lives in sessionStorage (this tab only, gone when it closes;
 * never localStorage, never a URL). Every call goes to the public API with that token; a 401 (an
 * expired token) keeps what was typed (sessionStorage drafts) and sends the person to sign in again.
 * The page never puts personal data in a URL or a log: the API already masks it. */
'use strict';

const store = window.sessionStorage;
const TOKEN = 'hcp.token';
const PKCE = 'hcp.pkce';
const DRAFTS = 'hcp.drafts';
const app = { config: null, token: null, claims: null, calendars: {} };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const STATUS = { open: '待联系', contacted: '待核实', rectifying: '整改中', replied: '待回访', closed: '已办结',
  appealing: '申诉中', invalid: '无效评价' };
const STAGE = { contact: '联系', verify: '核实', appeal: '申诉审核', reply: '整改反馈', revisit: '回访' };
const CATEGORY = { simple: '简单', general: '一般', complex: '复杂' };
const FINDING = { valid: '属实', misrating: '误评', malicious: '恶意评价' };
const ACTION = { contact: '联系评价人', verify: '核实认定', 'decide-appeal': '申诉审核', reply: '整改反馈', revisit: '回访' };
const ROLE = { department: '部门经办人', reviewer: '审核人', admin: '管理员' };
const KIND = { region: '区划', department: '部门', item: '事项', window: '窗口', staff: '工作人员' };

/* ---------- the DOM, built without innerHTML ---------- */

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
}

function notice(text) {
  document.getElementById('notice').textContent = text || '';
}

function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h('div', {}, h('label', { for: id }, label), input, hint ? h('div', { class: 'muted' }, hint) : null);
}

function select(name, options, value) {
  return h('select', { name }, Object.entries(options).map(([v, label]) =>
    h('option', { value: v, selected: v === value }, label)));
}

function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  // Shown in China time whatever the browser's zone: deadlines are counted there.
  const c = new Date(d.getTime() + (d.getTimezoneOffset() + 480) * 60000);
  return `${c.getFullYear()}-${p(c.getMonth() + 1)}-${p(c.getDate())} ${p(c.getHours())}:${p(c.getMinutes())}`;
}

function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/* ---------- sign-in: authorization code + PKCE ---------- */

function b64url(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function s256(text) {
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch (e) {
    return null;
  }
}

function redirectUri() {
  return `${location.origin}/console`;
}

async function signIn() {
  saveDrafts();
  const verifier = randomText(48);
  const state = randomText(16);
  store.setItem(PKCE, JSON.stringify({ verifier, state, back: location.hash || '#/' }));
  const oidc = app.config.oidc;
  const query = new URLSearchParams({
    response_type: 'code', client_id: oidc.client_id, redirect_uri: redirectUri(), scope: 'openid',
    state, code_challenge: await s256(verifier), code_challenge_method: 'S256',
  });
  location.assign(`${oidc.authorization_endpoint}?${query}`);
}

async function finishSignIn(params) {
  const saved = JSON.parse(store.getItem(PKCE) || 'null');
  store.removeItem(PKCE);
  // The code is single-use and leaves the address bar at once.
  history.replaceState(null, '', `/console${saved ? saved.back : '#/'}`);
  if (!saved || saved.state !== params.get('state')) throw new Error('登录请求已失效，请重新登录。');
  const answer = await fetch(app.config.oidc.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'),
      redirect_uri: redirectUri(), client_id: app.config.oidc.client_id, code_verifier: saved.verifier }),
  });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok || !body.access_token) throw new Error('登录未完成：身份认证服务拒绝了授权码，请重新登录。');
  store.setItem(TOKEN, body.access_token);
}

function signOut() {
  store.removeItem(TOKEN);
  store.removeItem(DRAFTS);
  app.token = null;
  app.claims = null;
  renderChrome();
  show(h('h1', {}, '已退出登录'), h('p', {}, '本标签页中的登录凭据已清除。'),
    h('button', { id: 'sign-in', onclick: signIn }, '重新登录'));
}

function tokenValid() {
  return app.claims && app.claims.exp * 1000 > Date.now() + 5000;
}

async function expired() {
  notice('登录已过期：已保存您填写的内容，正在重新登录……');
  store.removeItem(TOKEN);
  await signIn();
  return new Promise(() => {}); // the page is leaving
}

/* ---------- drafts: what was typed survives a sign-in ---------- */

function drafts() {
  return JSON.parse(store.getItem(DRAFTS) || '{}');
}

function saveDrafts() {
  const all = drafts();
  for (const form of document.querySelectorAll('form[data-draft]')) {
    const values = {};
    for (const el of form.elements) {
      if (el.name && el.type !== 'file' && el.type !== 'hidden' && el.type !== 'submit') {
        values[el.name] = el.type === 'checkbox' || el.type === 'radio' ? el.checked : el.value;
      }
    }
    all[form.dataset.draft] = values;
  }
  store.setItem(DRAFTS, JSON.stringify(all));
}

function restoreDraft(form) {
  const values = drafts()[form.dataset.draft];
  if (!values) return;
  for (const el of form.elements) {
    if (!(el.name in values)) continue;
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = values[el.name];
    else el.value = values[el.name];
  }
}

function dropDraft(key) {
  const all = drafts();
  delete all[key];
  store.setItem(DRAFTS, JSON.stringify(all));
}

/* ---------- the API ---------- */

class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.error;
    this.fields = body.fields || {};
  }
}

async function api(method, path, body, contentType) {
  if (!tokenValid()) return expired();
  const headers = { authorization: `Bearer ${app.token}` };
  let payload;
  if (body !== undefined) {
    headers['content-type'] = contentType || 'application/json';
    payload = contentType ? body : JSON.stringify(body);
  }
  const answer = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  if (answer.status === 401) return expired();
  const data = answer.status === 204 ? {} : await answer.json().catch(() => ({}));
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

function sentence(error) {
  if (!(error instanceof ApiError)) return error.message || '操作未完成，请稍后再试。';
  const fields = Object.entries(error.fields).map(([k, v]) => `${k}：${v}`).join('；');
  switch (error.status) {
    case 400: return `填写有误，未保存。${fields}`;
    case 403: return '无权查看或办理：此内容不在您的权限范围内（接口拒绝了请求）。';
    case 404: return '未找到：该记录不存在，或不在您的权限范围内。';
    case 409: return error.code === 'illegal_transition'
      ? '此操作现在不可办理：工单的状态已经改变（可能已被办理过），页面已刷新为最新状态。'
      : `与现有记录冲突，未保存。${error.message}`;
    case 413: return '文件过大，未上传。';
    case 415: return '文件类型不被接受，未上传。';
    case 422: return '目录中没有这个代码，或它不属于本省。';
    case 429: return '请求过于频繁，请稍后再试。';
    default: return '服务暂时不可用，请稍后再试。';
  }
}

function failure(error) {
  return h('p', { class: 'error', role: 'alert' }, sentence(error));
}

/* A form that sends once: its button is disabled while the request is out, and a second press
 * while it is out does nothing. `send` returns a promise; errors are shown inside the form. */
function actionForm(key, title, inputs, label, send) {
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, label);
  const form = h('form', { class: 'card', 'data-draft': key, novalidate: true }, h('h3', {}, title), inputs, button, status);
  let busy = false;
  form.addEventListener('input', saveDrafts);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    status.replaceChildren(h('p', { class: 'muted' }, '正在提交……'));
    try {
      await send(form);
      dropDraft(key);
    } catch (error) {
      status.replaceChildren(failure(error));
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
  restoreDraft(form);
  return form;
}

/* ---------- working days (the province's calendar, from the API) ---------- */

async function calendar(year) {
  if (!app.calendars[year]) {
    app.calendars[year] = api('GET', `/v1/calendar/${year}`).then((c) => ({
      status: c.status, holidays: new Set(c.holidays), workdays: new Set(c.workdays),
    })).catch(() => null);
  }
  return app.calendars[year];
}

function chinaDate(d) {
  const c = new Date(d.getTime() + 8 * 3600000);
  return c.toISOString().slice(0, 10);
}

async function workingDaysLeft(dueIso) {
  if (!dueIso) return null;
  const due = new Date(dueIso);
  const now = new Date();
  if (due <= now) return 0;
  let count = 0;
  const day = new Date(now.getTime());
  for (let i = 0; i < 120 && chinaDate(day) < chinaDate(due); i += 1) {
    day.setTime(day.getTime() + 86400000);
    const iso = chinaDate(day);
    const cal = await calendar(iso.slice(0, 4));
    const weekday = new Date(`${iso}T12:00:00+08:00`).getUTCDay();
    const working = cal && (cal.workdays.has(iso) || (weekday !== 0 && weekday !== 6 && !cal.holidays.has(iso)));
    if (working) count += 1;
  }
  return count;
}

function stageDue(ticket) {
  if (ticket.stage === 'contact') return ticket.contact_due;
  if (ticket.stage === 'verify') return ticket.rectify_dues && ticket.rectify_dues.complex;
  if (ticket.stage === 'reply') return ticket.rectify_due;
  return null;
}

/* ---------- pages ---------- */

const PAGES = {
  department: [['queue', '工单队列'], ['figures', '本部门数据'], ['devices', '评价器与二维码']],
  reviewer: [['appeals', '待审申诉'], ['queue', '辖区工单'], ['rankings', '排名与通报'], ['figures', '辖区数据']],
  admin: [['queue', '工单'], ['directory', '目录管理'], ['calendar', '节假日'], ['devices', '评价器与二维码'], ['rankings', '排名']],
};

function renderChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!app.claims) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  const current = location.hash.slice(2).split('?')[0].split('/')[0] || PAGES[app.claims.role][0][0];
  nav.replaceChildren(...PAGES[app.claims.role].map(([page, label]) =>
    h('a', { href: `#/${page}`, 'aria-current': page === current ? 'page' : null }, label)));
  who.replaceChildren(
    h('span', {}, `${ROLE[app.claims.role] || app.claims.role}${app.claims.scope ? ` · ${app.claims.scope}` : ''}`),
    h('button', { id: 'sign-out', type: 'button', onclick: signOut }, '退出'));
}

async function route() {
  notice('');
  renderChrome();
  const [page, ...rest] = location.hash.replace(/^#\/?/, '').split('?')[0].split('/');
  const role = app.claims.role;
  const target = page || PAGES[role][0][0];
  document.title = '好差评工作台';
  try {
    if (target === 'ticket') await ticketPage(decodeURIComponent(rest.join('/')));
    else if (target === 'queue') await queuePage();
    else if (target === 'figures') await figuresPage();
    else if (target === 'appeals') await appealsPage();
    else if (target === 'rankings') await rankingsPage();
    else if (target === 'directory') await directoryPage();
    else if (target === 'calendar') await calendarPage();
    else if (target === 'devices') await devicesPage();
    else show(h('h1', {}, '未找到此页面'), h('p', {}, h('a', { href: '#/' }, '返回首页')));
  } catch (error) {
    show(h('h1', {}, '无法显示'), failure(error));
  }
  document.getElementById('main').focus();
}

/* The queue: overdue first, then by working days left in the current stage. */
async function queuePage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const form = h('form', { class: 'card filters', role: 'search', 'aria-label': '筛选工单' },
    field('状态', select('status', { '': '全部', ...STATUS }, params.get('status') || '')),
    field('环节', select('stage', { '': '全部', ...STAGE }, params.get('stage') || '')),
    field('超期', select('overdue', { '': '全部', true: '仅超期', false: '未超期' }, params.get('overdue') || '')),
    field('受理起', h('input', { type: 'date', name: 'from', value: params.get('from') || '' })),
    field('受理止', h('input', { type: 'date', name: 'to', value: params.get('to') || '' })),
    app.claims.role !== 'department'
      ? field('部门代码', h('input', { name: 'department', value: params.get('department') || '' })) : null,
    h('div', {}, h('button', { type: 'submit' }, '筛选')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value) chosen.set(el.name, el.value);
    location.hash = `#/queue?${chosen}`;
  });
  show(h('h1', {}, '差评工单'), form, h('p', { class: 'muted' }, '正在载入……'));
  const query = new URLSearchParams();
  for (const name of ['status', 'overdue', 'department']) if (params.get(name)) query.set(name, params.get(name));
  const { tickets } = await api('GET', `/v1/tickets?${query}`);
  const from = params.get('from');
  const to = params.get('to');
  const stage = params.get('stage');
  const chosen = tickets.filter((t) => (!stage || t.stage === stage)
    && (!from || chinaDate(new Date(t.received_at)) >= from) && (!to || chinaDate(new Date(t.received_at)) <= to));
  for (const t of chosen) {
    t.due = stageDue(t);
    t.left = await workingDaysLeft(t.due);
  }
  chosen.sort((a, b) => (b.overdue.length > 0) - (a.overdue.length > 0)
    || (a.due ? new Date(a.due).getTime() : Infinity) - (b.due ? new Date(b.due).getTime() : Infinity)
    || a.received_at.localeCompare(b.received_at));
  const rows = chosen.map((t) => h('tr', {},
    h('td', {}, h('a', { href: `#/ticket/${encodeURIComponent(t.ticket_id)}` }, t.ticket_id)),
    h('td', {}, STATUS[t.status] || t.status),
    h('td', {}, t.overdue.length ? h('span', { class: 'badge bad' }, `超期：${t.overdue.map((s) => STAGE[s] || s).join('、')}`) : null,
      t.due ? `${STAGE[t.stage] || ''}剩余 ${t.left} 个工作日` : '—',
      t.provisional ? h('span', { class: 'badge warn', title: '节假日安排未公布，期限为暂定' }, '暂定') : null),
    h('td', { class: 'optional' }, time(t.due)),
    h('td', { class: 'optional' }, t.department),
    h('td', { class: 'optional' }, time(t.received_at))));
  const table = chosen.length
    ? h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'muted' }, `共 ${chosen.length} 件，超期在前，其余按剩余工作日排序`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '工单'), h('th', { scope: 'col' }, '状态'),
        h('th', { scope: 'col' }, '期限'), h('th', { scope: 'col', class: 'optional' }, '截止时间'),
        h('th', { scope: 'col', class: 'optional' }, '部门'), h('th', { scope: 'col', class: 'optional' }, '受理时间'))),
      h('tbody', {}, rows)))
    : h('p', {}, '没有符合条件的工单。');
  show(h('h1', {}, '差评工单'), form, table);
}

/* A ticket: the rating (masked by the API), deadlines, the trail, and the forms its status allows. */
async function ticketPage(ticketId) {
  let ticket;
  try {
    ticket = await api('GET', `/v1/tickets/${encodeURIComponent(ticketId)}`);
  } catch (error) {
    show(h('h1', {}, `工单 ${ticketId}`), failure(error), h('p', {}, h('a', { href: '#/queue' }, '返回工单队列')));
    return;
  }
  let rating = null;
  try {
    rating = await api('GET', `/v1/ratings/${encodeURIComponent(ticket.rating_id)}`);
  } catch (error) {
    rating = null;
  }
  document.title = `工单 ${ticket.ticket_id} · 好差评工作台`;
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, '状态'), h('dd', { id: 'ticket-status', 'data-status': ticket.status }, STATUS[ticket.status] || ticket.status),
    h('dt', {}, '部门'), h('dd', {}, ticket.department),
    h('dt', {}, '受理时间'), h('dd', {}, time(ticket.received_at)),
    h('dt', {}, '联系期限'), h('dd', {}, time(ticket.contact_due), ticket.provisional ? h('span', { class: 'badge warn' }, '暂定') : null),
    h('dt', {}, '整改期限'), h('dd', {}, ticket.rectify_due ? time(ticket.rectify_due)
      : Object.entries(ticket.rectify_dues || {}).map(([c, d]) => `${CATEGORY[c]} ${time(d)}`).join('；')),
    h('dt', {}, '超期环节'), h('dd', {}, ticket.overdue.length ? ticket.overdue.map((s) => STAGE[s] || s).join('、') : '无'),
    ticket.finding ? [h('dt', {}, '认定'), h('dd', {}, FINDING[ticket.finding] || ticket.finding)] : null,
    ticket.category ? [h('dt', {}, '类别'), h('dd', {}, CATEGORY[ticket.category] || ticket.category)] : null);
  const ratingCard = rating
    ? h('section', { class: 'card', 'aria-labelledby': 'rating-h' }, h('h2', { id: 'rating-h' }, '评价'),
      h('dl', { class: 'facts' },
        h('dt', {}, '满意度'), h('dd', {}, `${rating.satisfaction_label}（${rating.satisfaction}）`),
        h('dt', {}, '渠道'), h('dd', {}, rating.channel),
        h('dt', {}, '评价时间'), h('dd', {}, time(rating.rated_at)),
        h('dt', {}, '标签'), h('dd', {}, (rating.tags || []).join('、') || '—'),
        h('dt', {}, '意见'), h('dd', {}, rating.comment || '—'),
        h('dt', {}, '评价人'), h('dd', {}, rating.rater && rating.rater.phone ? rating.rater.phone : '匿名'),
        h('dt', {}, '有效'), h('dd', { id: 'rating-valid' }, rating.valid ? '有效' : '无效')))
    : null;
  const trail = h('section', { class: 'card', 'aria-labelledby': 'trail-h' }, h('h2', { id: 'trail-h' }, '办理记录'),
    ticket.trail.length ? h('ol', { class: 'trail' }, ticket.trail.map((step) => h('li', {},
      h('b', {}, ACTION[step.action] || step.action), ` · ${time(step.at)} · ${step.by || ''}`,
      step.note ? h('div', {}, step.note) : null,
      step.evidence && step.evidence.length ? h('div', { class: 'row' }, h('span', { class: 'muted' }, `证据 ${step.evidence.length} 份`),
        step.evidence.map((key, i) => h('button', { type: 'button', class: 'secondary', 'data-evidence': key,
          onclick: (event) => openEvidence(event.target, ticket.ticket_id, key) }, `打开证据 ${i + 1}`))) : null)))
      : h('p', {}, '尚无办理记录。'));
  show(h('p', {}, h('a', { href: '#/queue' }, '← 工单队列')), h('h1', {}, `工单 ${ticket.ticket_id}`),
    h('section', { class: 'card', 'aria-label': '工单信息' }, facts), ratingCard, actionsFor(ticket), trail);
}

function actionsFor(ticket) {
  const role = app.claims.role;
  const id = ticket.ticket_id;
  const act = (action, body) => api('POST', `/v1/tickets/${encodeURIComponent(id)}/${action}`, body)
    .then(() => ticketPage(id), async (error) => {
      if (error instanceof ApiError && error.status === 409) {
        await ticketPage(id);
        notice(sentence(error));
      }
      throw error;
    });
  const forms = [];
  const mine = role === 'admin' || (role === 'department' && app.claims.scope === ticket.department);
  if (mine && ticket.status === 'open') {
    forms.push(actionForm(`contact:${id}`, '联系评价人', field('联系情况', h('textarea', { name: 'note', required: true })),
      '记录联系', (form) => act('contact', { note: form.elements.note.value })));
  }
  if (mine && ticket.status === 'contacted') {
    forms.push(actionForm(`verify-valid:${id}`, '核实属实（进入整改）',
      field('问题类别', select('category', CATEGORY, 'general')), '认定属实',
      (form) => act('verify', { finding: 'valid', category: form.elements.category.value })));
    forms.push(actionForm(`verify-appeal:${id}`, '申诉：误评或恶意评价',
      [field('认定', select('finding', { misrating: '误评', malicious: '恶意评价' }, 'misrating')),
        field('理由', h('textarea', { name: 'reason' })), evidenceInput()],
      '提交申诉', async (form) => {
        const keys = await uploadEvidence(id, form.elements.evidence);
        await act('verify', { finding: form.elements.finding.value, reason: form.elements.reason.value, evidence: keys });
      }));
  }
  if (mine && ticket.status === 'rectifying') {
    forms.push(actionForm(`reply:${id}`, '整改反馈', [field('整改报告', h('textarea', { name: 'report' })), evidenceInput()],
      '提交反馈', async (form) => {
        const keys = await uploadEvidence(id, form.elements.evidence);
        await act('reply', { report: form.elements.report.value, evidence: keys });
      }));
  }
  if (mine && ticket.status === 'replied') {
    forms.push(actionForm(`revisit:${id}`, '回访',
      [field('评价人是否满意', select('satisfied', { true: '满意', false: '不满意' }, 'true')),
        field('回访记录', h('textarea', { name: 'note' }))],
      '记录回访', (form) => act('revisit', { satisfied: form.elements.satisfied.value === 'true', note: form.elements.note.value })));
  }
  if ((role === 'reviewer' || role === 'admin') && ticket.status === 'appealing') {
    forms.push(actionForm(`appeal:${id}`, '申诉审核',
      [field('决定', select('approve', { true: '同意申诉（评价无效）', false: '驳回申诉（继续整改）' }, 'true')),
        field('理由', h('textarea', { name: 'reason' }))],
      '提交审核', (form) => act('decide-appeal', { approve: form.elements.approve.value === 'true', reason: form.elements.reason.value })));
  }
  if (!forms.length) return h('p', { class: 'muted', id: 'no-actions' }, '当前状态下您没有可办理的操作。');
  return h('section', { 'aria-label': '可办理的操作' }, h('h2', {}, '办理'), forms);
}

/* A cited file: the API answers a short-lived download link of the version the trail cites. */
async function openEvidence(button, ticketId, key) {
  button.disabled = true;
  try {
    const name = key.split('/').pop();
    const link = await api('GET', `/v1/tickets/${encodeURIComponent(ticketId)}/evidence/${encodeURIComponent(name)}`);
    const anchor = h('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer' });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
  } catch (error) {
    notice(sentence(error));
  } finally {
    button.disabled = false;
  }
}

function evidenceInput() {
  const types = app.config.evidence.types;
  return field('证据文件', h('input', { type: 'file', name: 'evidence', multiple: true, accept: types.join(',') }),
    `可选多份；类型：${types.join('、')}；每份不超过 ${Math.round(app.config.evidence.max_bytes / 1048576)} MB`);
}

/* Each file: checked here, a key asked for (POST .../evidence), then sent straight to the bucket with
 * the pre-signed POST (url + fields) or PUT (upload_url) the API answered. */
async function uploadEvidence(ticketId, input) {
  const files = Array.from(input.files || []);
  const limits = app.config.evidence;
  for (const file of files) {
    if (!limits.types.includes(file.type)) throw new ApiError(415, { error: 'unsupported_media_type' });
    if (file.size > limits.max_bytes) throw new ApiError(413, { error: 'too_large' });
  }
  const keys = [];
  for (const file of files) {
    const grant = await api('POST', `/v1/tickets/${encodeURIComponent(ticketId)}/evidence`,
      { content_type: file.type, size: file.size });
    let sent;
    if (grant.upload) {
      const body = new FormData();
      for (const [name, value] of Object.entries(grant.upload.fields || {})) body.append(name, value);
      if (!('Content-Type' in (grant.upload.fields || {}))) body.append('Content-Type', file.type);
      body.append('file', file);
      sent = await fetch(grant.upload.url, { method: 'POST', body });
    } else {
      sent = await fetch(grant.upload_url, { method: 'PUT', body: file, headers: { 'content-type': file.type } });
    }
    if (!sent.ok) {
      const refused = sent.status === 400 || sent.status === 413 ? 413 : sent.status === 403 ? 415 : 503;
      throw new ApiError(refused, { error: 'upload_refused' });
    }
    keys.push(grant.key);
  }
  return keys;
}

/* The department's (or the region's) own figures. */
function monthsBack(n) {
  const now = new Date(Date.now() + 8 * 3600000);
  const months = [];
  for (let i = n - 1; i >= 0; i -= 1) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
    months.push([d.toISOString().slice(0, 7), d.toISOString().slice(0, 10), last.toISOString().slice(0, 10)]);
  }
  return months;
}

function figureTiles(f) {
  const tile = (label, value, id) => h('div', { class: 'figure', 'data-figure': id }, label, h('b', {}, value));
  return h('div', { class: 'figures' },
    tile('好差评指数', f.index === null ? '—' : f.index, 'index'), tile('有效评价', f.valid, 'valid'),
    tile('无效评价', f.invalid, 'invalid'), tile('差评率', percent(f.bad_rate), 'bad_rate'),
    tile('整改率', percent(f.rectification_rate), 'rectification_rate'), tile('按时办结率', percent(f.on_time_rate), 'on_time_rate'));
}

async function figuresPage() {
  const role = app.claims.role;
  const kind = role === 'department' ? 'department' : 'region';
  const code = app.claims.scope || app.config.province.code;
  const figures = await api('GET', `/v1/indices/${kind}/${code}`);
  const months = monthsBack(6);
  const trend = await Promise.all(months.map(([, from, to]) => api('GET', `/v1/indices/${kind}/${code}?from=${from}&to=${to}`)));
  const sections = [h('h1', {}, `${figures.name || code} 的数据`), figureTiles(figures),
    h('h2', {}, '近六个月'), h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['月份', '有效评价', '指数', '差评率', '整改率'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, months.map(([month], i) => h('tr', {}, h('td', {}, month), h('td', {}, trend[i].valid),
        h('td', {}, trend[i].index === null ? '—' : trend[i].index), h('td', {}, percent(trend[i].bad_rate)),
        h('td', {}, percent(trend[i].rectification_rate)))))))];
  if (role === 'department') {
    const windows = (await api('GET', `/v1/directory/window?parent=${code}`)).entries;
    const profiles = await Promise.all(windows.map((w) => api('GET', `/v1/profiles/window/${w.code}`).catch(() => null)));
    sections.push(h('h2', {}, '窗口画像'), h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['窗口', '有效评价', '指数', '差评率', '主要标签'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, windows.map((w, i) => {
        const p = profiles[i] || {};
        return h('tr', {}, h('td', {}, w.name), h('td', {}, p.valid ?? '—'), h('td', {}, p.index ?? '—'),
          h('td', {}, percent(p.bad_rate)), h('td', {}, (p.tags || []).slice(0, 3).map((t) => `${t.tag}(${t.count})`).join('、')));
      })))));
    const staff = (await Promise.all(windows.map((w) => api('GET', `/v1/directory/staff?parent=${w.code}`)
      .then((a) => a.entries).catch(() => [])))).flat();
    const staffProfiles = await Promise.all(staff.map((s) => api('GET', `/v1/profiles/staff/${s.code}`).catch(() => null)));
    sections.push(h('h2', {}, '工作人员画像'), h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['工作人员', '有效评价', '指数', '差评率'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, staff.map((s, i) => {
        const p = staffProfiles[i] || {};
        return h('tr', {}, h('td', {}, s.name), h('td', {}, p.valid ?? '—'), h('td', {}, p.index ?? '—'), h('td', {}, percent(p.bad_rate)));
      })))));
  }
  const warnings = await api('GET', role === 'department' ? '/v1/warnings' : `/v1/warnings?region=${code}`);
  sections.push(h('h2', {}, '预警'), warnings.warnings.length
    ? h('ul', {}, warnings.warnings.map((w) => h('li', {}, `${w.department ? w.department.name : ''}：`,
      w.rule === 'ticket_due' ? [`工单 `, h('a', { href: `#/ticket/${encodeURIComponent(w.ticket_id)}` }, w.ticket_id),
        ` ${STAGE[w.stage] || w.stage}期限 ${time(w.due)}`] : `${w.rule}`)))
    : h('p', {}, '今日无预警。'));
  show(...sections);
}

/* The reviewer's pending appeals, each opened on its ticket page to decide. */
async function appealsPage() {
  const { tickets } = await api('GET', '/v1/tickets?status=appealing');
  show(h('h1', {}, '待审申诉'), tickets.length
    ? h('ul', {}, tickets.map((t) => h('li', {}, h('a', { href: `#/ticket/${encodeURIComponent(t.ticket_id)}` }, t.ticket_id),
      ` · ${t.department} · ${FINDING[t.finding] || ''} · 受理于 ${time(t.received_at)}`)))
    : h('p', {}, '辖区内没有待审的申诉。'),
    h('h2', {}, '超期与督办'), h('p', {}, h('a', { href: '#/queue?overdue=true' }, '查看辖区超期工单')));
}

async function rankingsPage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const parent = params.get('parent') || app.claims.scope || app.config.province.code;
  const order = params.get('order') || 'index';
  const kind = params.get('kind') || 'department';
  const period = ['from', 'to'].filter((k) => params.get(k)).map((k) => `&${k}=${params.get(k)}`).join('');
  const form = h('form', { class: 'card filters', 'aria-label': '排名条件' },
    field('对象', select('kind', { department: '部门', region: '下级区划' }, kind)),
    field('排序', select('order', { index: '好差评指数', bad_rate: '差评率', rectification_rate: '整改率' }, order)),
    field('起', h('input', { type: 'date', name: 'from', value: params.get('from') || '' })),
    field('止', h('input', { type: 'date', name: 'to', value: params.get('to') || '' })),
    h('div', {}, h('button', { type: 'submit' }, '查看')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams({ parent });
    for (const el of form.elements) if (el.name && el.value) chosen.set(el.name, el.value);
    location.hash = `#/rankings?${chosen}`;
  });
  const ranking = await api('GET', `/v1/rankings/${kind}?parent=${parent}&order=${order}${period}`);
  const report = /^\d+$/.test(parent) ? h('p', {}, h('button', { type: 'button', id: 'download-report', class: 'secondary',
    onclick: (event) => download(event.target, `/v1/reports/${parent}?format=xlsx${period}`, `通报-${parent}.xlsx`) },
  '下载本期通报（Excel）')) : null;
  show(h('h1', {}, `${ranking.parent.name} 排名`), form, report, h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', { class: 'muted' }, `有效评价少于 ${ranking.min_ratings} 条的不参与排名`),
    h('thead', {}, h('tr', {}, ['名次', '名称', '有效评价', '指数', '差评率', '整改率', '按时率'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ranking.entries.map((e) => h('tr', {}, h('td', {}, e.rank ?? '—'), h('td', {}, e.name),
      h('td', {}, e.valid), h('td', {}, e.index ?? '—'), h('td', {}, percent(e.bad_rate)),
      h('td', {}, percent(e.rectification_rate)), h('td', {}, percent(e.on_time_rate))))))));
}

/* A file from the API (the month's report): fetched with the token, handed to the browser as a blob. */
async function download(button, path, filename) {
  if (!tokenValid()) return expired();
  button.disabled = true;
  try {
    const answer = await fetch(path, { headers: { authorization: `Bearer ${app.token}`, accept: XLSX }, cache: 'no-store' });
    if (answer.status === 401) return expired();
    if (!answer.ok) throw new ApiError(answer.status, await answer.json().catch(() => ({})));
    const link = h('a', { href: URL.createObjectURL(await answer.blob()), download: filename });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    notice(sentence(error));
  } finally {
    button.disabled = false;
  }
  return null;
}

/* Admin: the directory (look up, add, rename, move with the job's progress, CSV import). */
async function directoryPage() {
  const result = h('div', { 'aria-live': 'polite' });
  const lookup = h('form', { class: 'card filters', role: 'search', 'aria-label': '查找目录' },
    field('类型', select('kind', KIND, 'department')),
    field('上级代码（列出其下级）或代码', h('input', { name: 'code', required: true })),
    field('名称包含', h('input', { name: 'name' })),
    h('div', {}, h('button', { type: 'submit' }, '查找')));
  lookup.addEventListener('submit', async (event) => {
    event.preventDefault();
    const kind = lookup.elements.kind.value;
    const code = lookup.elements.code.value.trim();
    const name = lookup.elements.name.value.trim();
    try {
      let entries;
      try {
        entries = [await api('GET', `/v1/directory/${kind}/${encodeURIComponent(code)}`)];
      } catch (error) {
        if (!(error instanceof ApiError) || error.status === 401) throw error;
        entries = (await api('GET', `/v1/directory/${kind}?parent=${encodeURIComponent(code)}`)).entries;
      }
      entries = entries.filter((e) => !name || e.name.includes(name));
      result.replaceChildren(entries.length ? h('ul', {}, entries.map((e) =>
        h('li', {}, `${KIND[e.kind]} ${e.code} ${e.name}（上级 ${e.parent || '—'}）`))) : h('p', {}, '没有找到。'));
    } catch (error) {
      result.replaceChildren(failure(error));
    }
  });
  const put = actionForm('directory-put', '新增、改名或迁移', [
    field('类型', select('kind', KIND, 'department')), field('代码', h('input', { name: 'code' })),
    field('名称', h('input', { name: 'name' })), field('上级代码', h('input', { name: 'parent' }))],
  '保存', async (form) => {
    const body = { name: form.elements.name.value, parent: form.elements.parent.value };
    const answer = await api('PUT', `/v1/directory/${form.elements.kind.value}/${encodeURIComponent(form.elements.code.value)}`, body);
    result.replaceChildren(h('p', {}, `已保存：${answer.code || form.elements.code.value}`));
    if (answer.job_id) await followJob(answer.job_id, result);
  });
  const upload = actionForm('directory-import', 'CSV 批量导入（列：kind,code,name,parent）',
    field('CSV 文件', h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv' })), '导入', async (form) => {
      const file = form.elements.csv.files[0];
      if (!file) throw new Error('请选择 CSV 文件。');
      const report = await api('POST', '/v1/directory/import', await file.text(), 'text/csv');
      result.replaceChildren(h('pre', {}, JSON.stringify(report, null, 2)));
      if (report.job_id) await followJob(report.job_id, result);
    });
  show(h('h1', {}, '目录管理'), lookup, result, put, upload);
}

async function followJob(jobId, into) {
  const line = h('p', { id: 'job-progress' }, '迁移任务已开始……');
  into.append(line);
  for (let i = 0; i < 120; i += 1) {
    const job = await api('GET', `/v1/directory/jobs/${encodeURIComponent(jobId)}`);
    line.textContent = `迁移任务 ${jobId}：${job.status || ''} ${job.done ?? job.moved ?? ''}${job.total ? ` / ${job.total}` : ''}`;
    if (['done', 'finished', 'completed', 'failed'].includes(job.status)) return;
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
  }
}

/* Admin: a year's calendar; a provisional year is flagged until an official one is loaded. */
async function calendarPage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const year = params.get('year') || String(new Date().getFullYear() + 1);
  const year_ = await api('GET', `/v1/calendar/${year}`);
  const picker = h('form', { class: 'card filters', 'aria-label': '选择年份' },
    field('年份', h('input', { name: 'year', type: 'number', value: year, min: 2004, max: 2100 })),
    h('div', {}, h('button', { type: 'submit' }, '查看')));
  picker.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/calendar?year=${picker.elements.year.value}`;
  });
  const load = actionForm(`calendar:${year}`, `载入 ${year} 年官方安排`, [
    field('节假日（每行一个日期 YYYY-MM-DD）', h('textarea', { name: 'holidays' }, year_.holidays.join('\n'))),
    field('调休上班日', h('textarea', { name: 'workdays' }, year_.workdays.join('\n')))],
  '载入为官方安排', async (form) => {
    const dates = (text) => text.split(/\s+/).filter(Boolean);
    await api('PUT', `/v1/calendar/${year}`, { holidays: dates(form.elements.holidays.value), workdays: dates(form.elements.workdays.value) });
    app.calendars = {};
    await calendarPage();
    notice(`${year} 年安排已载入，未办结工单的期限已重新计算。`);
  });
  show(h('h1', {}, `${year} 年节假日`), picker,
    h('p', { id: 'calendar-status' }, year_.status === 'official' ? h('span', { class: 'badge ok' }, '官方')
      : h('span', { class: 'badge warn' }, '暂定：官方安排尚未载入，期限按规则推算'),
    ` 节假日 ${year_.holidays.length} 天，调休上班 ${year_.workdays.length} 天。`), load);
}

/* Devices (window tablets, kiosks) and windows' QR codes of a department (API.md, Devices and QR codes). */
const DEVICE_STATUS = { pending: '待配对', paired: '已配对', revoked: '已停用' };
const DEVICE_CHANNEL = { hall_pad: '窗口评价器', hall_terminal: '自助评价终端' };

async function devicesPage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const department = app.claims.role === 'department' ? app.claims.scope : params.get('department') || '';
  const picker = app.claims.role === 'department' ? null : h('form', { class: 'card filters', 'aria-label': '选择部门' },
    field('部门代码', h('input', { name: 'department', value: department })), h('div', {}, h('button', { type: 'submit' }, '查看')));
  if (picker) {
    picker.addEventListener('submit', (event) => {
      event.preventDefault();
      location.hash = `#/devices?department=${encodeURIComponent(picker.elements.department.value.trim())}`;
    });
  }
  if (!department) {
    show(h('h1', {}, '评价器与二维码'), picker, h('p', {}, '请输入部门代码。'));
    return;
  }
  const [{ devices }, windows] = await Promise.all([
    api('GET', `/v1/devices?department=${encodeURIComponent(department)}`),
    api('GET', `/v1/directory/window?parent=${encodeURIComponent(department)}`).then((a) => a.entries),
  ]);
  const result = h('div', { 'aria-live': 'polite', id: 'device-result' });
  const enrol = actionForm(`device:${department}`, '登记评价器（得到配对码）', [
    field('窗口', select('window', Object.fromEntries(windows.map((w) => [w.code, `${w.name}（${w.code}）`])), windows[0] && windows[0].code)),
    field('类型', select('channel', DEVICE_CHANNEL, 'hall_pad')), field('名称', h('input', { name: 'name' }))],
  '登记', async (form) => {
    const body = { window: form.elements.window.value, channel: form.elements.channel.value };
    if (form.elements.name.value) body.name = form.elements.name.value;
    const made = await api('POST', '/v1/devices', body);
    await devicesPage();
    document.getElementById('device-result').replaceChildren(h('p', { id: 'pairing-code' },
      `配对码 ${made.pairing_code}（${time(made.expires_at)} 前在设备上输入，只能使用一次）`));
  });
  const rows = devices.map((d) => h('tr', {}, h('td', {}, d.name || d.device_id), h('td', {}, d.window),
    h('td', { class: 'optional' }, DEVICE_CHANNEL[d.channel] || d.channel), h('td', {}, DEVICE_STATUS[d.status] || d.status),
    h('td', {}, d.status === 'revoked' ? '—' : h('button', { type: 'button', class: 'secondary', onclick: async (event) => {
      event.target.disabled = true;
      try {
        await api('DELETE', `/v1/devices/${encodeURIComponent(d.device_id)}`);
        await devicesPage();
      } catch (error) {
        notice(sentence(error));
        event.target.disabled = false;
      }
    } }, '停用'))));
  const codes = h('div', { class: 'row' }, windows.map((w) => h('button', { type: 'button', class: 'secondary',
    onclick: () => showQr(w, result) }, `${w.name} 二维码`)));
  show(h('h1', {}, '评价器与二维码'), picker, result,
    devices.length ? h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {},
      ['设备', '窗口', '类型', '状态', '操作'].map((t, i) => h('th', { scope: 'col', class: i === 2 ? 'optional' : null }, t)))),
    h('tbody', {}, rows))) : h('p', {}, '本部门尚未登记评价器。'),
    enrol, h('h2', {}, '窗口二维码'), codes);
}

/* The SVG comes from the API with the token and is shown as a data: image (the page's img-src). */
async function showQr(windowEntry, into) {
  try {
    if (!tokenValid()) return expired();
    const answer = await fetch(`/v1/qrcodes/window/${encodeURIComponent(windowEntry.code)}?format=svg`,
      { headers: { authorization: `Bearer ${app.token}` }, cache: 'no-store' });
    if (answer.status === 401) return expired();
    if (!answer.ok) throw new ApiError(answer.status, await answer.json().catch(() => ({})));
    const svg = await answer.text();
    into.replaceChildren(h('figure', { class: 'card' }, h('img', { id: 'qr-image', width: 200, height: 200,
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, alt: `${windowEntry.name}的评价二维码` }),
    h('figcaption', {}, `${windowEntry.name}：扫码评价（打印后张贴在窗口）`)));
  } catch (error) {
    notice(sentence(error));
  }
  return null;
}

/* ---------- start ---------- */

async function start() {
  try {
    app.config = await (await fetch('/console/config', { cache: 'no-store' })).json();
    const params = new URLSearchParams(location.search);
    if (params.get('code') && params.get('state')) await finishSignIn(params);
    else if (params.get('error')) throw new Error('身份认证服务拒绝了登录。');
  } catch (error) {
    show(h('h1', {}, '无法登录'), failure(error), h('button', { id: 'sign-in', onclick: signIn }, '重新登录'));
    return;
  }
  app.token = store.getItem(TOKEN);
  app.claims = app.token ? claimsOf(app.token) : null;
  if (!tokenValid()) {
    store.removeItem(TOKEN);
    app.token = null;
    app.claims = null;
    renderChrome();
    show(h('h1', {}, '政务服务“好差评”工作台'),
      h('p', {}, '部门经办人、审核人和管理员使用本省统一身份认证登录。'),
      h('button', { id: 'sign-in', onclick: signIn }, '登录'));
    return;
  }
  window.addEventListener('hashchange', route);
  await route();
}

start();
