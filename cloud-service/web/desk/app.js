// The front desk (docs/desk.md): sign in as staff, pick a branch, check members in by card
// or by name, see who is inside and the machine floor live, sell from the shop, and today's
// numbers. Plain DOM: every value from the API is set as text, never parsed as HTML.
import { Api, ApiError, idempotencyKey } from './api.js';
import { MachineFeed } from './live.js';

const $ = (id) => document.getElementById(id);
const api = new Api();
const feed = new MachineFeed(() => api.access, showMachine, (on) => $('live').classList.toggle('on', on));
const names = new Map();   // user id -> full name
const cart = new Map();    // product id -> {product, quantity}
let branch = null, money = null, saleKey = null, refresher = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function say(id, text, ok) {
  const m = $(id);
  m.textContent = text;
  m.className = `message ${ok ? 'ok' : 'bad'}`;
}
const reason = (e) => (e instanceof ApiError ? e.message : 'The service cannot be reached; try again.');
const price = (cents) => (money ? money.format(cents / 100) : (cents / 100).toFixed(2));

// --- signing in and out ---
$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-error').textContent = '';
  try {
    await api.login($('email').value.trim(), $('password').value);
    $('password').value = '';
    await enter();
  } catch (e) {
    $('login-error').textContent = e.status === 401 ? 'Wrong e-mail or password.' : reason(e);
  }
});
$('logout').addEventListener('click', () => signOut());
api.onSignedOut = () => signOut('Your session ended; sign in again.');

async function signOut(why) {
  feed.stop();
  clearInterval(refresher);
  await api.logout();
  $('desk').hidden = true;
  $('session-bar').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = why || '';
  $('email').focus();
}

async function enter() {
  const me = await api.get('/api/auth/me');
  if (me.role === 'member') {
    await signOut('This page is for staff.');
    return;
  }
  $('who').textContent = me.full_name;
  const branches = (await api.get('/api/branches?limit=200')).items;
  const select = $('branch');
  select.replaceChildren(...branches.map((b) => { const o = el('option', b.name); o.value = b.id; return o; }));
  const saved = localStorage.getItem('spotter.desk.branch');
  if (branches.some((b) => b.id === saved)) select.value = saved;
  $('login').hidden = true;
  $('session-bar').hidden = false;
  $('desk').hidden = false;
  await openBranch(select.value);
}
$('branch').addEventListener('change', (ev) => openBranch(ev.target.value));

async function openBranch(id) {
  if (!id) return;
  localStorage.setItem('spotter.desk.branch', id);
  branch = await api.get(`/api/branches/${encodeURIComponent(id)}`);
  money = new Intl.NumberFormat(undefined, { style: 'currency', currency: branch.currency || 'EUR' });
  cart.clear();
  renderCart();
  $('receipt').hidden = true;
  await loadInside();
  await Promise.all([loadProducts(), loadMachines(), loadToday()]);
  feed.follow(id);
  clearInterval(refresher);
  refresher = setInterval(refreshVisits, 30000);
  $('find').focus();
}

// --- check-in: a card reader types the UID and Enter; a name, phone or document searches ---
const CARD = /^([0-9a-f]{8}|[0-9a-f]{14}|[0-9a-f]{20})$/i;
$('find-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = $('find').value.trim();
  if (!text) return;
  if (CARD.test(text)) {
    await checkIn({ credential: { kind: 'nfc', uid: text.toUpperCase() } });
    return;
  }
  try {
    const found = (await api.get(`/api/users?role=member&limit=20&q=${encodeURIComponent(text)}`)).items;
    $('results').replaceChildren(...found.map(resultRow));
    say('checkin-message', found.length ? `${found.length} found` : 'Nobody found.', found.length > 0);
  } catch (e) {
    say('checkin-message', reason(e), false);
  }
});

function resultRow(u) {
  names.set(u.id, u.full_name);
  const li = el('li');
  const who = el('span', u.full_name);
  who.append(el('span', [u.phone, u.document_id, u.email].filter(Boolean).join(' · '), 'sub'));
  const b = el('button', 'Check in');
  b.type = 'button';
  b.addEventListener('click', () => checkIn({ user_id: u.id }));
  li.append(who, b);
  return li;
}

async function checkIn(who) {
  try {
    const s = await api.post('/api/sessions/start', { branch_id: branch.id, ...who });
    say('checkin-message', `✓ ${await nameOf(s.user_id)} checked in`, true);
    $('results').replaceChildren();
    $('find').value = '';
  } catch (e) {
    say('checkin-message', e.status === 404 && who.credential ? 'Unknown card.' : reason(e), false);
    $('find').select();
  }
  $('find').focus();
  await refreshVisits();
}

async function nameOf(id) {
  if (!names.has(id)) {
    try { names.set(id, (await api.get(`/api/users/${encodeURIComponent(id)}`)).full_name); } catch { return id; }
  }
  return names.get(id);
}

// --- who is inside now (today's visits without an end) ---
let today = null;
async function refreshVisits() {
  await loadInside();
  await loadToday();
}
async function loadInside() {
  try {
    today = await api.get(`/api/attendance/daily?branch_id=${encodeURIComponent(branch.id)}`);
  } catch { return; }
  const open = today.visits.filter((v) => v.ended_at === null);
  $('inside-count').textContent = String(open.length);
  const rows = await Promise.all(open.map(async (v) => {
    const li = el('li');
    const who = el('span', await nameOf(v.user_id));
    who.append(el('span', `since ${new Date(v.started_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} · ${v.source}`, 'sub'));
    const b = el('button', 'Check out', 'quiet');
    b.type = 'button';
    b.addEventListener('click', async () => {
      try {
        await api.post('/api/sessions/end', { session_id: v.session_id });
        say('checkin-message', `${await nameOf(v.user_id)} checked out`, true);
      } catch (e) { say('checkin-message', reason(e), false); }
      await refreshVisits();
    });
    li.append(who, b);
    return li;
  }));
  $('inside').replaceChildren(...rows);
}

// --- the shop ---
async function loadProducts() {
  const items = (await api.get(`/api/products?branch_id=${encodeURIComponent(branch.id)}&active=true&limit=200`)).items;
  $('products').replaceChildren(...items.map((p) => {
    const b = el('button');
    b.type = 'button';
    b.dataset.product = p.id;
    b.append(el('span', p.name), el('span', price(p.price_cents), 'price'), el('span', `${p.stock} in stock`, 'stock'));
    b.disabled = p.stock <= 0;
    b.addEventListener('click', () => addToCart(p, 1));
    const li = el('li');
    li.append(b);
    return li;
  }));
}

function addToCart(p, n) {
  const line = cart.get(p.id) || { product: p, quantity: 0 };
  line.quantity = Math.max(0, Math.min(p.stock, line.quantity + n));
  if (line.quantity === 0) cart.delete(p.id); else cart.set(p.id, line);
  saleKey = null;  // a different cart is a different sale
  renderCart();
}

function renderCart() {
  let total = 0;
  $('cart').replaceChildren(...[...cart.values()].map(({ product, quantity }) => {
    total += product.price_cents * quantity;
    const tr = el('tr');
    const less = el('button', '−', 'quiet'), more = el('button', '+', 'quiet');
    less.type = more.type = 'button';
    less.setAttribute('aria-label', `one ${product.name} less`);
    more.setAttribute('aria-label', `one ${product.name} more`);
    less.addEventListener('click', () => addToCart(product, -1));
    more.addEventListener('click', () => addToCart(product, 1));
    const qty = el('td');
    qty.append(less, ` ${quantity} `, more);
    tr.append(el('td', product.name), qty, el('td', price(product.price_cents * quantity), 'num'), el('td'));
    return tr;
  }));
  $('cart-total').textContent = cart.size ? price(total) : '—';
  $('sell').disabled = cart.size === 0;
}
$('clear-cart').addEventListener('click', () => { cart.clear(); saleKey = null; renderCart(); });

$('sell').addEventListener('click', async () => {
  $('sell').disabled = true;
  // The same key until this cart is sold: a desk that retries after a timeout sells once.
  saleKey = saleKey || idempotencyKey();
  const body = { branch_id: branch.id, payment_method: $('payment').value,
                 items: [...cart.values()].map((l) => ({ product_id: l.product.id, quantity: l.quantity })) };
  try {
    const sale = await api.post('/api/sales', body, { 'Idempotency-Key': saleKey });
    showReceipt(sale);
    say('sale-message', `✓ Sold: ${price(sale.total_cents)}`, true);
    cart.clear();
    saleKey = null;
    renderCart();
  } catch (e) {
    say('sale-message', reason(e), false);
    $('sell').disabled = false;
  }
  await Promise.all([loadProducts(), loadToday()]);
});

function showReceipt(sale) {
  $('receipt-id').textContent = sale.id;
  $('receipt-lines').replaceChildren(...sale.items.map((i) => {
    const tr = el('tr');
    tr.append(el('td', i.name), el('td', `${i.quantity} × ${price(i.unit_price_cents)}`), el('td', price(i.total_cents), 'num'));
    return tr;
  }));
  $('receipt-total').textContent = price(sale.total_cents);
  $('receipt-meta').textContent = `${sale.payment_method} · ${new Date(sale.sold_at).toLocaleString()}`;
  $('receipt').hidden = false;
}

// --- the machine floor ---
async function loadMachines() {
  $('machines').replaceChildren();
  try {
    for (const m of (await api.get(`/api/machines/availability?branch_id=${encodeURIComponent(branch.id)}`)).items) showMachine(m);
  } catch { /* the live feed fills it in */ }
}

function showMachine(m) {
  let li = document.querySelector(`#machines li[data-machine="${CSS.escape(m.machine_id)}"]`);
  if (!li) {
    li = el('li');
    li.dataset.machine = m.machine_id;
    li.append(el('span', m.name || m.machine_id), el('span', '', 'state'));
    $('machines').append(li);
  }
  li.dataset.state = m.state;
  li.querySelector('.state').textContent = m.state.replace('_', ' ');
}

// --- today ---
async function loadToday() {
  try {
    const s = await api.get(`/api/sales/summary?branch_id=${encodeURIComponent(branch.id)}`);
    $('sales-count').textContent = String(s.count);
    $('sales-total').textContent = price(s.total_cents);
    $('by-payment').replaceChildren(...s.by_payment_method.map((b) => {
      const li = el('li');
      li.append(el('span', `${b.payment_method} (${b.count})`), el('span', price(b.total_cents), 'num'));
      return li;
    }));
  } catch { /* trainers without sales rights see visits only */ }
  if (today) {
    $('visits').textContent = String(today.count);
    $('members').textContent = String(today.unique_members);
  }
}

(async () => {
  if (await api.resume()) await enter().catch(() => signOut());
  else $('email').focus();
})();
