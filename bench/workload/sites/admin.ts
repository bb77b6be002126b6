// "Northwind Admin": a Bootstrap 5 dashboard (full bootstrap.css + bootstrap.bundle.js). The
// server embeds each page's data as JSON; admin.js renders tables from it and re-renders them on
// sort, filter, paging and refresh, as a typical client-rendered admin app does.

import { Rng } from '../../../testkit/prng.ts';
import { CITIES, escapeHtml, personName, title, words } from '../sample-text.ts';

export const ADMIN_PAGES = ['index.html', 'orders.html', 'customers.html', 'reports.html', 'settings.html'] as const;

const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'refunded', 'cancelled'];
const PRODUCTS = 'Desk Lamp,Standing Desk,Monitor Arm,Mechanical Keyboard,Wireless Mouse,USB-C Hub,Webcam,Headset,Notebook,Chair Mat,Cable Tray,Laptop Stand,Docking Station,Footrest,Whiteboard'.split(',');

function orders(count: number, seed: string): unknown[] {
  const rng = new Rng(seed);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const items = rng.int(1, 5);
    const lines = [];
    for (let j = 0; j < items; j++) lines.push({ product: rng.pick(PRODUCTS), qty: rng.int(1, 4), price: rng.int(9, 899) + 0.99 });
    out.push({
      id: 100_000 + i * 7 + rng.int(0, 6),
      customer: personName(rng),
      email: `${rng.pick(['ops', 'billing', 'me', 'hello', 'team'])}${rng.int(1, 999)}@${rng.pick(['example.com', 'example.org', 'mail.test'])}`,
      city: rng.pick(CITIES),
      date: `2026-${String(rng.int(1, 11)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
      status: rng.pick(STATUSES),
      total: lines.reduce((n, l) => n + l.qty * l.price, 0).toFixed(2),
      lines,
    });
  }
  return out;
}

function customers(count: number, seed: string): unknown[] {
  const rng = new Rng(seed);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const name = personName(rng);
    out.push({
      id: i + 1,
      name,
      email: `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@example.com`,
      city: rng.pick(CITIES),
      plan: rng.pick(['Free', 'Starter', 'Team', 'Business', 'Enterprise']),
      orders: rng.int(0, 140),
      spent: rng.int(0, 48_000),
      active: rng.chance(0.85),
      joined: `20${rng.int(18, 26)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
    });
  }
  return out;
}

function reportRows(seed: string): unknown {
  const rng = new Rng(seed);
  const periods: Record<string, unknown[]> = {};
  for (const period of ['week', 'month', 'quarter', 'year']) {
    const rows = [];
    for (let i = 0; i < 120; i++) {
      rows.push({
        sku: `SKU-${rng.int(1000, 9999)}`,
        product: rng.pick(PRODUCTS),
        region: rng.pick(CITIES),
        units: rng.int(0, 5000),
        revenue: rng.int(0, 250_000),
        returns: rng.int(0, 120),
        margin: rng.int(5, 62),
        trend: rng.int(-40, 60),
      });
    }
    periods[period] = rows;
  }
  return periods;
}

const ICON = (path: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" fill="currentColor" class="me-2" viewBox="0 0 16 16" aria-hidden="true"><path d="${path}"/></svg>`;
const ICONS = {
  dashboard: 'M0 1.5A1.5 1.5 0 0 1 1.5 0h3A1.5 1.5 0 0 1 6 1.5v3A1.5 1.5 0 0 1 4.5 6h-3A1.5 1.5 0 0 1 0 4.5zm10 0A1.5 1.5 0 0 1 11.5 0h3A1.5 1.5 0 0 1 16 1.5v3A1.5 1.5 0 0 1 14.5 6h-3A1.5 1.5 0 0 1 10 4.5zM0 11.5A1.5 1.5 0 0 1 1.5 10h3A1.5 1.5 0 0 1 6 11.5v3A1.5 1.5 0 0 1 4.5 16h-3A1.5 1.5 0 0 1 0 14.5zm10 0a1.5 1.5 0 0 1 1.5-1.5h3a1.5 1.5 0 0 1 1.5 1.5v3a1.5 1.5 0 0 1-1.5 1.5h-3a1.5 1.5 0 0 1-1.5-1.5z',
  orders: 'M0 1.5A.5.5 0 0 1 .5 1H2a.5.5 0 0 1 .485.379L2.89 3H14.5a.5.5 0 0 1 .491.592l-1.5 8A.5.5 0 0 1 13 12H4a.5.5 0 0 1-.491-.408L2.01 3.607 1.61 2H.5a.5.5 0 0 1-.5-.5M5 12a2 2 0 1 0 0 4 2 2 0 0 0 0-4m7 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4',
  customers: 'M7 14s-1 0-1-1 1-4 5-4 5 3 5 4-1 1-1 1zm4-6a3 3 0 1 0 0-6 3 3 0 0 0 0 6m-5.784 6A2.24 2.24 0 0 1 5 13c0-1.355.68-2.75 1.936-3.72A6.3 6.3 0 0 0 5 9c-4 0-5 3-5 4s1 1 1 1zM4.5 8a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5',
  reports: 'M0 0h1v15h15v1H0zm14.817 3.113a.5.5 0 0 1 .07.704l-4.5 5.5a.5.5 0 0 1-.74.037L7.06 6.767l-3.656 5.027a.5.5 0 0 1-.808-.588l4-5.5a.5.5 0 0 1 .758-.06l2.609 2.61 4.15-5.073a.5.5 0 0 1 .704-.07',
  settings: 'M8 4.754a3.246 3.246 0 1 0 0 6.492 3.246 3.246 0 0 0 0-6.492M5.754 8a2.246 2.246 0 1 1 4.492 0 2.246 2.246 0 0 1-4.492 0M9.796 1.343c-.527-1.79-3.065-1.79-3.592 0l-.094.319a.873.873 0 0 1-1.255.52l-.292-.16c-1.64-.892-3.433.902-2.54 2.541l.159.292a.873.873 0 0 1-.52 1.255l-.319.094c-1.79.527-1.79 3.065 0 3.592l.319.094a.873.873 0 0 1 .52 1.255l-.16.292c-.892 1.64.901 3.434 2.541 2.54l.292-.159a.873.873 0 0 1 1.255.52l.094.319c.527 1.79 3.065 1.79 3.592 0l.094-.319a.873.873 0 0 1 1.255-.52l.292.16c1.64.893 3.434-.902 2.54-2.541l-.159-.292a.873.873 0 0 1 .52-1.255l.319-.094c1.79-.527 1.79-3.065 0-3.592l-.319-.094a.873.873 0 0 1-.52-1.255l.16-.292c.893-1.64-.902-3.433-2.541-2.54l-.292.159a.873.873 0 0 1-1.255-.52z',
};

function layout(page: string, heading: string, body: string, data: unknown): string {
  const nav = (
    [
      ['index.html', 'Dashboard', ICONS.dashboard],
      ['orders.html', 'Orders', ICONS.orders],
      ['customers.html', 'Customers', ICONS.customers],
      ['reports.html', 'Reports', ICONS.reports],
      ['settings.html', 'Settings', ICONS.settings],
    ] as const
  )
    .map(
      ([href, label, icon]) =>
        `<li class="nav-item"><a class="nav-link d-flex align-items-center ${href === page ? 'active' : 'link-body-emphasis'}" href="${href}" data-nav="${href}">${ICON(icon)}${label}</a></li>`,
    )
    .join('\n');
  const rng = new Rng(`admin-notifications-${page}`);
  const notifications = Array.from({ length: 8 }, () => `<li><a class="dropdown-item small" href="#">${escapeHtml(title(rng, 3, 6))}<br><span class="text-body-secondary">${rng.int(1, 59)} min ago</span></a></li>`).join('');
  return `<!doctype html>
<html lang="en" data-bs-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${heading} · Northwind Admin</title>
<link rel="stylesheet" href="/vendor/bootstrap/dist/css/bootstrap.css">
<style>
  body { min-height: 100vh; }
  .sidebar { width: 232px; min-height: calc(100vh - 56px); }
  .table-orders td, .table-orders th { white-space: nowrap; }
  th[data-sort] { cursor: pointer; user-select: none; }
  th[data-sort].sorted-asc::after { content: " \\2191"; }
  th[data-sort].sorted-desc::after { content: " \\2193"; }
</style>
</head>
<body class="bg-body-tertiary">
<nav class="navbar navbar-expand-lg bg-dark border-bottom border-body sticky-top" data-bs-theme="dark">
  <div class="container-fluid">
    <a class="navbar-brand fw-semibold" href="index.html">Northwind Admin</a>
    <form class="d-none d-md-flex ms-4" role="search" onsubmit="return false">
      <input class="form-control form-control-sm" type="search" id="global-search" placeholder="Search orders, customers…" aria-label="Search">
    </form>
    <ul class="navbar-nav ms-auto">
      <li class="nav-item dropdown">
        <a class="nav-link dropdown-toggle" href="#" id="notifications" role="button" data-bs-toggle="dropdown" aria-expanded="false">Notifications <span class="badge text-bg-danger">8</span></a>
        <ul class="dropdown-menu dropdown-menu-end" style="width: 320px">${notifications}</ul>
      </li>
      <li class="nav-item dropdown">
        <a class="nav-link dropdown-toggle" href="#" id="user-menu" role="button" data-bs-toggle="dropdown" aria-expanded="false">Dana Whitfield</a>
        <ul class="dropdown-menu dropdown-menu-end">
          <li><a class="dropdown-item" href="settings.html">Profile</a></li>
          <li><a class="dropdown-item" href="settings.html#security">Security</a></li>
          <li><hr class="dropdown-divider"></li>
          <li><a class="dropdown-item" href="#" id="toggle-theme">Toggle dark mode</a></li>
        </ul>
      </li>
    </ul>
  </div>
</nav>
<div class="d-flex">
  <aside class="sidebar p-3 bg-body border-end">
    <ul class="nav nav-pills flex-column gap-1">${nav}</ul>
    <hr>
    <div class="small text-body-secondary">Storage used</div>
    <div class="progress my-1" role="progressbar" aria-valuenow="62" aria-valuemin="0" aria-valuemax="100"><div class="progress-bar" style="width: 62%"></div></div>
    <div class="small text-body-secondary">6.2 GB of 10 GB</div>
  </aside>
  <main class="flex-grow-1 p-4">
    <div class="d-flex align-items-center justify-content-between mb-3"><h1 class="h3 mb-0">${heading}</h1><div id="page-actions"></div></div>
    ${body}
  </main>
</div>
<div class="toast-container position-fixed bottom-0 end-0 p-3" id="toasts"></div>
<div class="modal fade" id="detail-modal" tabindex="-1" aria-hidden="true">
  <div class="modal-dialog modal-lg modal-dialog-scrollable"><div class="modal-content">
    <div class="modal-header"><h5 class="modal-title" id="detail-title">Details</h5><button type="button" class="btn-close" data-bs-dismiss="modal" aria-label="Close"></button></div>
    <div class="modal-body" id="detail-body"></div>
    <div class="modal-footer"><button type="button" class="btn btn-secondary" data-bs-dismiss="modal">Close</button><button type="button" class="btn btn-primary" id="detail-primary">Save changes</button></div>
  </div></div>
</div>
<script id="page-data" type="application/json">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script src="/vendor/bootstrap/dist/js/bootstrap.bundle.min.js"></script>
<script src="/sites/admin.js" data-page="${page}"></script>
</body>
</html>`;
}

function statCards(rng: Rng): string {
  return `<div class="row g-3 mb-4">${['Revenue', 'Orders', 'New customers', 'Refunds']
    .map(
      (label) => `<div class="col-md-3"><div class="card shadow-sm"><div class="card-body">
        <div class="text-body-secondary small">${label}</div>
        <div class="fs-3 fw-semibold">${label === 'Revenue' ? '$' : ''}${rng.int(100, 99_999).toLocaleString('en-US')}</div>
        <span class="badge ${rng.chance(0.7) ? 'text-bg-success' : 'text-bg-danger'}">${rng.int(-20, 40)}%</span> <span class="small text-body-secondary">vs last month</span>
      </div></div></div>`,
    )
    .join('')}</div>`;
}

export function adminPage(page: string): string | null {
  const rng = new Rng(`admin-${page}`);
  switch (page) {
    case 'index.html':
      return layout(
        page,
        'Dashboard',
        `${statCards(rng)}
        <div class="row g-3">
          <div class="col-lg-8"><div class="card shadow-sm"><div class="card-header d-flex justify-content-between align-items-center">Recent orders <button class="btn btn-sm btn-outline-primary" id="refresh">Refresh</button></div>
            <div class="table-responsive"><table class="table table-hover table-sm mb-0 table-orders"><thead><tr><th>#</th><th>Customer</th><th>City</th><th>Date</th><th>Status</th><th class="text-end">Total</th></tr></thead><tbody id="recent"></tbody></table></div></div></div>
          <div class="col-lg-4"><div class="card shadow-sm"><div class="card-header">Activity</div><ul class="list-group list-group-flush" id="activity">${Array.from(
            { length: 14 },
            () => `<li class="list-group-item small"><strong>${personName(rng)}</strong> ${words(rng, 3, 9)} <span class="text-body-secondary">· ${rng.int(1, 59)}m</span></li>`,
          ).join('')}</ul></div></div>
        </div>`,
        { orders: orders(120, 'admin-recent') },
      );
    case 'orders.html':
      return layout(
        page,
        'Orders',
        `<div class="card shadow-sm"><div class="card-body border-bottom d-flex flex-wrap gap-2 align-items-center">
            <input class="form-control" style="max-width: 280px" type="search" id="filter" placeholder="Filter by customer, city or #">
            <select class="form-select" style="max-width: 180px" id="status-filter"><option value="">All statuses</option>${STATUSES.map((s) => `<option value="${s}">${s}</option>`).join('')}</select>
            <select class="form-select" style="max-width: 120px" id="page-size"><option>25</option><option selected>50</option><option>100</option></select>
            <button class="btn btn-outline-secondary ms-auto" id="export">Export CSV</button>
          </div>
          <div class="table-responsive"><table class="table table-striped table-hover mb-0 table-orders"><thead><tr><th><input class="form-check-input" type="checkbox" id="select-all"></th><th data-sort="id">#</th><th data-sort="customer">Customer</th><th data-sort="email">Email</th><th data-sort="city">City</th><th data-sort="date">Date</th><th data-sort="status">Status</th><th data-sort="total" class="text-end">Total</th><th></th></tr></thead><tbody id="rows"></tbody></table></div>
          <div class="card-footer d-flex justify-content-between align-items-center"><span class="small text-body-secondary" id="count"></span><nav><ul class="pagination pagination-sm mb-0" id="pager"></ul></nav></div></div>`,
        { orders: orders(420, 'admin-orders') },
      );
    case 'customers.html':
      return layout(
        page,
        'Customers',
        `<div class="card shadow-sm"><div class="card-body border-bottom d-flex gap-2">
            <input class="form-control" style="max-width: 320px" type="search" id="filter" placeholder="Find a customer">
            <div class="btn-group" role="group" id="plan-filter">${['All', 'Free', 'Starter', 'Team', 'Business', 'Enterprise'].map((p, i) => `<input type="radio" class="btn-check" name="plan" id="plan-${p}" value="${p === 'All' ? '' : p}" ${i === 0 ? 'checked' : ''}><label class="btn btn-outline-primary btn-sm" for="plan-${p}">${p}</label>`).join('')}</div>
          </div>
          <div class="table-responsive"><table class="table table-hover align-middle mb-0"><thead><tr><th data-sort="name">Name</th><th data-sort="city">City</th><th data-sort="plan">Plan</th><th data-sort="orders" class="text-end">Orders</th><th data-sort="spent" class="text-end">Spent</th><th data-sort="joined">Joined</th><th>Status</th><th></th></tr></thead><tbody id="rows"></tbody></table></div>
          <div class="card-footer d-flex justify-content-between align-items-center"><span class="small text-body-secondary" id="count"></span><nav><ul class="pagination pagination-sm mb-0" id="pager"></ul></nav></div></div>`,
        { customers: customers(320, 'admin-customers') },
      );
    case 'reports.html':
      return layout(
        page,
        'Reports',
        `${statCards(rng)}
        <ul class="nav nav-pills mb-3" id="periods">${['week', 'month', 'quarter', 'year'].map((p, i) => `<li class="nav-item"><button class="nav-link ${i === 1 ? 'active' : ''}" data-period="${p}">${p.charAt(0).toUpperCase() + p.slice(1)}</button></li>`).join('')}</ul>
        <div class="card shadow-sm mb-4"><div class="table-responsive" style="max-height: 520px"><table class="table table-sm table-bordered mb-0"><thead class="sticky-top"><tr><th>SKU</th><th>Product</th><th>Region</th><th class="text-end">Units</th><th class="text-end">Revenue</th><th class="text-end">Returns</th><th>Margin</th><th class="text-end">Trend</th></tr></thead><tbody id="report"></tbody></table></div></div>
        <div class="accordion" id="notes">${Array.from(
          { length: 6 },
          (_, i) => `<div class="accordion-item"><h2 class="accordion-header"><button class="accordion-button ${i ? 'collapsed' : ''}" type="button" data-bs-toggle="collapse" data-bs-target="#note-${i}">${escapeHtml(title(rng, 3, 6))}</button></h2>
            <div id="note-${i}" class="accordion-collapse collapse ${i ? '' : 'show'}" data-bs-parent="#notes"><div class="accordion-body">${Array.from({ length: 3 }, () => `<p>${escapeHtml(words(rng, 30, 60))}.</p>`).join('')}</div></div></div>`,
        ).join('')}</div>`,
        { periods: reportRows('admin-reports') },
      );
    case 'settings.html':
      return layout(
        page,
        'Settings',
        `<ul class="nav nav-tabs" role="tablist">
          <li class="nav-item"><button class="nav-link active" data-bs-toggle="tab" data-bs-target="#tab-profile" type="button" role="tab">Profile</button></li>
          <li class="nav-item"><button class="nav-link" data-bs-toggle="tab" data-bs-target="#tab-notifications" type="button" role="tab">Notifications</button></li>
          <li class="nav-item"><button class="nav-link" data-bs-toggle="tab" data-bs-target="#tab-security" type="button" role="tab" id="security-tab">Security</button></li>
        </ul>
        <div class="tab-content bg-body border border-top-0 p-4 mb-4">
          <div class="tab-pane fade show active" id="tab-profile" role="tabpanel">
            <form class="row g-3 needs-validation" novalidate id="profile-form">
              <div class="col-md-6"><label class="form-label" for="full-name">Full name</label><input class="form-control" id="full-name" required minlength="3"><div class="invalid-feedback">Please enter your name.</div></div>
              <div class="col-md-6"><label class="form-label" for="email">Email</label><input type="email" class="form-control" id="email" required><div class="invalid-feedback">A valid email, please.</div></div>
              <div class="col-md-6"><label class="form-label" for="phone">Phone</label><input type="tel" class="form-control" id="phone" pattern="[0-9 +()-]{6,}"><div class="invalid-feedback">Digits only.</div></div>
              <div class="col-md-6"><label class="form-label" for="country">Country</label><select class="form-select" id="country" required><option value="">Choose…</option>${CITIES.map((c) => `<option>${c}</option>`).join('')}</select><div class="invalid-feedback">Pick one.</div></div>
              <div class="col-12"><label class="form-label" for="bio">Bio</label><textarea class="form-control" id="bio" rows="4"></textarea></div>
              <div class="col-12"><div class="form-check"><input class="form-check-input" type="checkbox" id="terms" required><label class="form-check-label" for="terms">I accept the data processing terms</label><div class="invalid-feedback">Required.</div></div></div>
              <div class="col-12"><button class="btn btn-primary" type="submit">Save profile</button></div>
            </form>
          </div>
          <div class="tab-pane fade" id="tab-notifications" role="tabpanel">${Array.from(
            { length: 12 },
            (_, i) => `<div class="form-check form-switch mb-2"><input class="form-check-input" type="checkbox" role="switch" id="notify-${i}" ${rng.chance(0.5) ? 'checked' : ''}><label class="form-check-label" for="notify-${i}">${escapeHtml(title(rng, 3, 7))}</label></div>`,
          ).join('')}</div>
          <div class="tab-pane fade" id="tab-security" role="tabpanel">
            <form class="row g-3 needs-validation" novalidate id="password-form" style="max-width: 480px">
              <div class="col-12"><label class="form-label" for="current-password">Current password</label><input type="password" class="form-control" id="current-password" required autocomplete="off"></div>
              <div class="col-12"><label class="form-label" for="new-password">New password</label><input type="password" class="form-control" id="new-password" required minlength="10" autocomplete="off"><div class="invalid-feedback">At least 10 characters.</div></div>
              <div class="col-12"><button class="btn btn-warning" type="submit">Change password</button></div>
            </form>
          </div>
        </div>`,
        {},
      );
    default:
      return null;
  }
}
