// Client side of the Northwind Admin workload site: renders tables from the page's JSON and
// re-renders whole tbody subtrees on every sort, filter, page change and refresh.
(function () {
  'use strict';
  var page = document.currentScript.getAttribute('data-page');
  var data = JSON.parse(document.getElementById('page-data').textContent);
  var seed = 12345;
  function rand() {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; });
  }
  var badge = { pending: 'warning', paid: 'info', shipped: 'primary', delivered: 'success', refunded: 'secondary', cancelled: 'danger' };

  function toast(title, text, kind) {
    var el = document.createElement('div');
    el.className = 'toast align-items-center text-bg-' + (kind || 'success') + ' border-0';
    el.setAttribute('role', 'status');
    el.innerHTML = '<div class="toast-header"><strong class="me-auto">' + esc(title) + '</strong><small>just now</small>' +
      '<button type="button" class="btn-close" data-bs-dismiss="toast" aria-label="Close"></button></div><div class="toast-body">' + esc(text) + '</div>';
    document.getElementById('toasts').appendChild(el);
    var t = new bootstrap.Toast(el, { delay: 2500 });
    el.addEventListener('hidden.bs.toast', function () { el.remove(); });
    t.show();
  }

  function showDetail(title, html) {
    document.getElementById('detail-title').textContent = title;
    document.getElementById('detail-body').innerHTML = html;
    bootstrap.Modal.getOrCreateInstance(document.getElementById('detail-modal')).show();
  }

  function orderDetail(o) {
    var rows = o.lines.map(function (l) {
      return '<tr><td>' + esc(l.product) + '</td><td class="text-end">' + l.qty + '</td><td class="text-end">$' + l.price.toFixed(2) + '</td><td class="text-end">$' + (l.qty * l.price).toFixed(2) + '</td></tr>';
    }).join('');
    var history = ['created', 'payment authorized', 'picked', 'packed', 'label printed', 'handed to carrier'].map(function (step, i) {
      return '<li class="list-group-item d-flex justify-content-between"><span>' + step + '</span><span class="text-body-secondary small">' + o.date + ' ' + (9 + i) + ':' + String((i * 17) % 60).padStart(2, '0') + '</span></li>';
    }).join('');
    return '<div class="row"><div class="col-md-6"><h6>Customer</h6><p class="mb-1">' + esc(o.customer) + '</p><p class="text-body-secondary">' + esc(o.email) + '<br>' + esc(o.city) + '</p></div>' +
      '<div class="col-md-6"><h6>Status</h6><span class="badge text-bg-' + badge[o.status] + '">' + o.status + '</span>' +
      '<select class="form-select form-select-sm mt-2" id="detail-status">' + Object.keys(badge).map(function (s) { return '<option' + (s === o.status ? ' selected' : '') + '>' + s + '</option>'; }).join('') + '</select></div></div>' +
      '<table class="table table-sm mt-3"><thead><tr><th>Product</th><th class="text-end">Qty</th><th class="text-end">Price</th><th class="text-end">Line</th></tr></thead><tbody>' + rows + '</tbody>' +
      '<tfoot><tr><th colspan="3">Total</th><th class="text-end">$' + o.total + '</th></tr></tfoot></table>' +
      '<h6>History</h6><ul class="list-group list-group-flush">' + history + '</ul>' +
      '<label class="form-label mt-3" for="detail-note">Internal note</label><textarea class="form-control" id="detail-note" rows="2"></textarea>';
  }

  // A sortable, filterable, paged table whose body is rebuilt on every change.
  function pagedTable(opts) {
    var state = { sort: opts.sort, dir: 1, page: 0, size: opts.size || 50, filter: '', extra: '' };
    function rows() {
      var f = state.filter.toLowerCase();
      var list = opts.items.filter(function (it) { return opts.match(it, f, state.extra); });
      list.sort(function (a, b) {
        var x = a[state.sort], y = b[state.sort];
        if (!isNaN(Number(x)) && !isNaN(Number(y))) { x = Number(x); y = Number(y); }
        return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
      });
      return list;
    }
    function render() {
      var list = rows();
      var pages = Math.max(1, Math.ceil(list.length / state.size));
      if (state.page >= pages) state.page = pages - 1;
      var slice = list.slice(state.page * state.size, (state.page + 1) * state.size);
      opts.body.innerHTML = slice.map(opts.row).join('');
      document.getElementById('count').textContent = list.length + ' results · page ' + (state.page + 1) + ' of ' + pages;
      var pager = '';
      for (var p = 0; p < pages; p++) {
        if (pages > 9 && p > 1 && p < pages - 2 && Math.abs(p - state.page) > 1) { if (!pager.endsWith('…</span></li>')) pager += '<li class="page-item disabled"><span class="page-link">…</span></li>'; continue; }
        pager += '<li class="page-item' + (p === state.page ? ' active' : '') + '"><a class="page-link" href="#" data-page="' + p + '">' + (p + 1) + '</a></li>';
      }
      document.getElementById('pager').innerHTML = pager;
      document.querySelectorAll('th[data-sort]').forEach(function (th) {
        th.classList.toggle('sorted-asc', th.dataset.sort === state.sort && state.dir === 1);
        th.classList.toggle('sorted-desc', th.dataset.sort === state.sort && state.dir === -1);
      });
      console.debug('[table] rendered', slice.length, 'of', list.length, 'rows', { sort: state.sort, dir: state.dir, page: state.page });
    }
    document.querySelectorAll('th[data-sort]').forEach(function (th) {
      th.addEventListener('click', function () {
        if (state.sort === th.dataset.sort) state.dir = -state.dir; else { state.sort = th.dataset.sort; state.dir = 1; }
        render();
      });
    });
    document.getElementById('pager').addEventListener('click', function (e) {
      var a = e.target.closest('a[data-page]');
      if (!a) return;
      e.preventDefault();
      state.page = Number(a.dataset.page);
      render();
    });
    document.getElementById('filter').addEventListener('input', function (e) {
      state.filter = e.target.value;
      state.page = 0;
      render();
    });
    render();
    return { state: state, render: render };
  }

  function orderRow(o) {
    return '<tr data-id="' + o.id + '"><td><input class="form-check-input" type="checkbox"></td><td>' + o.id + '</td><td>' + esc(o.customer) + '</td><td class="text-body-secondary">' + esc(o.email) +
      '</td><td>' + esc(o.city) + '</td><td>' + o.date + '</td><td><span class="badge text-bg-' + badge[o.status] + '">' + o.status + '</span></td><td class="text-end">$' + o.total +
      '</td><td><button class="btn btn-sm btn-outline-primary" data-view="' + o.id + '">View</button></td></tr>';
  }

  if (page === 'index.html') {
    var body = document.getElementById('recent');
    var render = function () {
      var start = Math.floor(rand() * 100);
      body.innerHTML = data.orders.slice(start, start + 20).map(function (o) {
        return '<tr><td>' + o.id + '</td><td>' + esc(o.customer) + '</td><td>' + esc(o.city) + '</td><td>' + o.date + '</td><td><span class="badge text-bg-' + badge[o.status] + '">' + o.status + '</span></td><td class="text-end">$' + o.total + '</td></tr>';
      }).join('');
      console.info('dashboard: loaded recent orders', start);
    };
    render();
    document.getElementById('refresh').addEventListener('click', render);
    setInterval(function () {
      var li = document.createElement('li');
      li.className = 'list-group-item small';
      li.innerHTML = '<strong>System</strong> heartbeat ' + new Date().toISOString().slice(11, 19) + ' <span class="text-body-secondary">· now</span>';
      var list = document.getElementById('activity');
      list.insertBefore(li, list.firstChild);
      if (list.children.length > 20) list.lastChild.remove();
    }, 4000);
  }

  if (page === 'orders.html') {
    var statusFilter = '';
    var table = pagedTable({
      items: data.orders, body: document.getElementById('rows'), sort: 'id', size: 50, row: orderRow,
      match: function (o, f) {
        return (!statusFilter || o.status === statusFilter) && (!f || (o.customer + ' ' + o.city + ' ' + o.id + ' ' + o.email).toLowerCase().indexOf(f) >= 0);
      },
    });
    document.getElementById('status-filter').addEventListener('change', function (e) { statusFilter = e.target.value; table.state.page = 0; table.render(); });
    document.getElementById('page-size').addEventListener('change', function (e) { table.state.size = Number(e.target.value); table.render(); });
    document.getElementById('rows').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-view]');
      if (!b) return;
      var o = data.orders.find(function (x) { return String(x.id) === b.dataset.view; });
      showDetail('Order #' + o.id, orderDetail(o));
    });
    document.getElementById('select-all').addEventListener('change', function (e) {
      document.querySelectorAll('#rows input[type=checkbox]').forEach(function (c) { c.checked = e.target.checked; });
    });
    document.getElementById('detail-primary').addEventListener('click', function () {
      bootstrap.Modal.getInstance(document.getElementById('detail-modal')).hide();
      toast('Order updated', 'The order status was saved.');
    });
    document.getElementById('export').addEventListener('click', function () {
      fetch('/api/admin/export?format=csv').then(function (r) {
        if (!r.ok) throw new Error('export failed with status ' + r.status);
      }).catch(function (err) {
        console.error(err);
        toast('Export failed', String(err.message), 'danger');
      });
    });
  }

  if (page === 'customers.html') {
    var plan = '';
    var ctable = pagedTable({
      items: data.customers, body: document.getElementById('rows'), sort: 'name', size: 40,
      match: function (c, f) { return (!plan || c.plan === plan) && (!f || (c.name + ' ' + c.email + ' ' + c.city).toLowerCase().indexOf(f) >= 0); },
      row: function (c) {
        return '<tr><td><div class="fw-semibold">' + esc(c.name) + '</div><div class="small text-body-secondary">' + esc(c.email) + '</div></td><td>' + esc(c.city) + '</td><td><span class="badge rounded-pill text-bg-light border">' + c.plan +
          '</span></td><td class="text-end">' + c.orders + '</td><td class="text-end">$' + c.spent.toLocaleString('en-US') + '</td><td>' + c.joined + '</td><td>' +
          (c.active ? '<span class="badge text-bg-success">active</span>' : '<span class="badge text-bg-secondary">inactive</span>') +
          '</td><td><div class="dropdown"><button class="btn btn-sm btn-light dropdown-toggle" data-bs-toggle="dropdown" aria-expanded="false">Actions</button><ul class="dropdown-menu">' +
          '<li><a class="dropdown-item" href="#" data-act="email" data-id="' + c.id + '">Send email</a></li><li><a class="dropdown-item" href="#" data-act="profile" data-id="' + c.id + '">View profile</a></li>' +
          '<li><hr class="dropdown-divider"></li><li><a class="dropdown-item text-danger" href="#" data-act="toggle" data-id="' + c.id + '">' + (c.active ? 'Deactivate' : 'Activate') + '</a></li></ul></div></td></tr>';
      },
    });
    document.getElementById('plan-filter').addEventListener('change', function (e) { plan = e.target.value; ctable.state.page = 0; ctable.render(); });
    document.getElementById('rows').addEventListener('click', function (e) {
      var a = e.target.closest('a[data-act]');
      if (!a) return;
      e.preventDefault();
      var c = data.customers.find(function (x) { return String(x.id) === a.dataset.id; });
      if (a.dataset.act === 'email') toast('Email queued', 'A message to ' + c.name + ' is on its way.');
      if (a.dataset.act === 'toggle') { c.active = !c.active; ctable.render(); toast('Customer updated', c.name + ' is now ' + (c.active ? 'active' : 'inactive') + '.', 'secondary'); }
      if (a.dataset.act === 'profile') {
        showDetail(c.name, '<dl class="row">' + Object.keys(c).map(function (k) { return '<dt class="col-sm-4">' + k + '</dt><dd class="col-sm-8">' + esc(c[k]) + '</dd>'; }).join('') + '</dl>' +
          '<h6>Recent orders</h6><ul class="list-group">' + Array.from({ length: 8 }, function (_, i) { return '<li class="list-group-item">#' + (200000 + c.id * 13 + i) + ' · $' + ((c.spent / 9) * (i + 1) / 8).toFixed(2) + '</li>'; }).join('') + '</ul>');
      }
    });
  }

  if (page === 'reports.html') {
    var tbody = document.getElementById('report');
    var show = function (period) {
      tbody.innerHTML = data.periods[period].map(function (r) {
        return '<tr><td><code>' + r.sku + '</code></td><td>' + esc(r.product) + '</td><td>' + esc(r.region) + '</td><td class="text-end">' + r.units + '</td><td class="text-end">$' + r.revenue.toLocaleString('en-US') +
          '</td><td class="text-end">' + r.returns + '</td><td><div class="progress" style="height: 6px"><div class="progress-bar bg-' + (r.margin > 30 ? 'success' : 'warning') + '" style="width: ' + r.margin + '%"></div></div></td><td class="text-end ' +
          (r.trend < 0 ? 'text-danger' : 'text-success') + '">' + r.trend + '%</td></tr>';
      }).join('');
      console.log('reports: period', period, 'rows', data.periods[period].length);
    };
    show('month');
    document.getElementById('periods').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-period]');
      if (!b) return;
      document.querySelectorAll('#periods .nav-link').forEach(function (x) { x.classList.toggle('active', x === b); });
      show(b.dataset.period);
    });
  }

  if (page === 'settings.html') {
    if (location.hash === '#security') bootstrap.Tab.getOrCreateInstance(document.getElementById('security-tab')).show();
    document.querySelectorAll('form.needs-validation').forEach(function (form) {
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (!form.checkValidity()) {
          console.warn('settings: form invalid', form.id);
        } else {
          toast('Saved', 'Your settings were saved.');
        }
        form.classList.add('was-validated');
      });
    });
    document.querySelectorAll('.form-switch input').forEach(function (input) {
      input.addEventListener('change', function () { toast('Notifications', 'Preference updated.', 'info'); });
    });
  }

  document.getElementById('toggle-theme').addEventListener('click', function (e) {
    e.preventDefault();
    var html = document.documentElement;
    html.setAttribute('data-bs-theme', html.getAttribute('data-bs-theme') === 'dark' ? 'light' : 'dark');
  });
  window.addEventListener('error', function () {});
})();
