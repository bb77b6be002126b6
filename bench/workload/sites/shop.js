// Client side of the Fjellstue workload site: cart in localStorage, cart drawer, catalog grid
// re-rendered on filter/sort, gallery, tabs, coupon (a failing request) and checkout validation.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  var byId = {};
  data.index.forEach(function (p) { byId[p.id] = p; });
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function cart() { try { return JSON.parse(localStorage.getItem('fjellstue-cart') || '[]'); } catch (e) { return []; } }
  function saveCart(c) { localStorage.setItem('fjellstue-cart', JSON.stringify(c)); updateCount(); }
  function updateCount() { document.getElementById('cart-count').textContent = cart().reduce(function (n, l) { return n + l.qty; }, 0); }
  function renderDrawer() {
    var c = cart();
    document.getElementById('cart-items').innerHTML = c.length === 0 ? '<p class="has-text-grey">Your cart is empty.</p>' : c.map(function (l) {
      var p = byId[l.id];
      return '<article class="media"><figure class="media-left"><p class="image is-48x48"><img src="' + p.thumb + '" alt=""></p></figure><div class="media-content"><p class="is-size-7"><strong>' + esc(p.name) + '</strong><br>' + l.qty + ' × €' + p.price.toFixed(2) + '</p></div></article>';
    }).join('');
  }
  function openDrawer() { renderDrawer(); document.getElementById('cart-drawer').classList.add('is-open'); }
  document.getElementById('open-cart').addEventListener('click', openDrawer);
  document.getElementById('close-cart').addEventListener('click', function () { document.getElementById('cart-drawer').classList.remove('is-open'); });
  document.addEventListener('click', function (e) {
    var b = e.target.closest('.add-to-cart');
    if (!b) return;
    var id = Number(b.dataset.id);
    var qtyInput = document.getElementById('qty');
    var qty = qtyInput ? Math.max(1, Number(qtyInput.value) || 1) : 1;
    var c = cart();
    var line = c.find(function (l) { return l.id === id; });
    if (line) line.qty += qty; else c.push({ id: id, qty: qty });
    saveCart(c);
    console.log('cart: added', id, 'qty', qty);
    var note = document.getElementById('added');
    note.textContent = byId[id].name + ' was added to your cart.';
    note.style.display = 'block';
    setTimeout(function () { note.style.display = 'none'; }, 2000);
    openDrawer();
  });
  updateCount();

  var grid = document.getElementById('grid');
  if (grid) {
    var shown = 24;
    var stars = function (r) { var n = Math.round(r); return '★★★★★'.slice(0, n) + '☆☆☆☆☆'.slice(0, 5 - n); };
    var render = function () {
      var cats = Array.prototype.map.call(document.querySelectorAll('.cat-filter:checked'), function (x) { return x.value; });
      var brands = Array.prototype.map.call(document.querySelectorAll('.brand-filter:checked'), function (x) { return x.value; });
      var max = Number(document.getElementById('max-price').value);
      var q = document.getElementById('shop-search').value.toLowerCase();
      var list = data.products.filter(function (p) {
        return (!cats.length || cats.indexOf(p.category) >= 0) && (!brands.length || brands.indexOf(p.brand) >= 0) && p.price <= max && (!q || p.name.toLowerCase().indexOf(q) >= 0);
      });
      var sort = document.getElementById('sort').value;
      if (sort === 'price-asc') list.sort(function (a, b) { return a.price - b.price; });
      if (sort === 'price-desc') list.sort(function (a, b) { return b.price - a.price; });
      if (sort === 'rating') list.sort(function (a, b) { return b.rating - a.rating; });
      if (sort === 'name') list.sort(function (a, b) { return a.name < b.name ? -1 : 1; });
      grid.innerHTML = list.slice(0, shown).map(function (p) {
        return '<div class="column is-3"><div class="card product-card" data-id="' + p.id + '"><div class="card-image"><figure class="image is-4by3"><img src="' + p.thumb + '" alt="' + esc(p.name) + '" style="image-rendering: pixelated; object-fit: cover"></figure></div>' +
          '<div class="card-content"><p class="title is-6"><a href="product-' + p.id + '.html">' + esc(p.name) + '</a></p><p class="subtitle is-7">' + p.brand + ' · ' + p.category + '</p><p class="is-size-7">' + stars(p.rating) + ' <span class="has-text-grey">(' + p.reviews + ')</span></p>' +
          '<div class="level is-mobile mt-2"><div class="level-left"><strong>€' + p.price.toFixed(2) + '</strong></div><div class="level-right"><button class="button is-small is-primary add-to-cart" data-id="' + p.id + '">Add to cart</button></div></div></div></div></div>';
      }).join('');
      document.getElementById('result-count').textContent = list.length + ' products';
      document.getElementById('load-more').disabled = shown >= list.length;
    };
    if (location.hash) document.querySelectorAll('.cat-filter').forEach(function (x) { x.checked = x.value === location.hash.slice(1); });
    document.querySelectorAll('.cat-filter, .brand-filter, #sort').forEach(function (x) { x.addEventListener('change', function () { shown = 24; render(); }); });
    document.getElementById('max-price').addEventListener('input', function (e) { document.getElementById('max-price-label').textContent = '€' + e.target.value; render(); });
    document.getElementById('shop-search').addEventListener('input', render);
    document.getElementById('load-more').addEventListener('click', function () { shown += 24; render(); });
    render();
  }

  document.querySelectorAll('.gallery-thumb').forEach(function (img) {
    img.addEventListener('click', function () {
      document.getElementById('main-image').src = data.images[Number(img.dataset.index)];
      document.querySelectorAll('.gallery-thumb').forEach(function (x) { x.classList.toggle('is-selected', x === img); });
    });
  });
  document.querySelectorAll('.tabs a[data-tab]').forEach(function (a) {
    a.addEventListener('click', function () {
      document.querySelectorAll('.tabs li').forEach(function (li) { li.classList.toggle('is-active', li.contains(a)); });
      document.querySelectorAll('.tab-panel').forEach(function (p) { p.hidden = p.dataset.panel !== a.dataset.tab; });
    });
  });

  var rows = document.getElementById('cart-rows');
  if (rows) {
    var renderCart = function () {
      var c = cart();
      rows.innerHTML = c.map(function (l, i) {
        var p = byId[l.id];
        return '<tr><td><figure class="image is-48x48"><img src="' + p.thumb + '" alt=""></figure></td><td>' + esc(p.name) + '</td><td>€' + p.price.toFixed(2) + '</td><td><input class="input is-small qty-input" type="number" min="0" value="' + l.qty + '" data-i="' + i + '" style="width: 70px"></td><td>€' + (p.price * l.qty).toFixed(2) + '</td><td><button class="delete remove-line" data-i="' + i + '"></button></td></tr>';
      }).join('');
      document.getElementById('cart-total').textContent = '€' + c.reduce(function (n, l) { return n + byId[l.id].price * l.qty; }, 0).toFixed(2);
    };
    rows.addEventListener('change', function (e) {
      if (!e.target.classList.contains('qty-input')) return;
      var c = cart();
      c[Number(e.target.dataset.i)].qty = Math.max(0, Number(e.target.value) || 0);
      saveCart(c.filter(function (l) { return l.qty > 0; }));
      renderCart();
    });
    rows.addEventListener('click', function (e) {
      if (!e.target.classList.contains('remove-line')) return;
      var c = cart();
      c.splice(Number(e.target.dataset.i), 1);
      saveCart(c);
      renderCart();
    });
    document.getElementById('apply-coupon').addEventListener('click', function () {
      fetch('/api/shop/coupon', { method: 'POST', body: document.getElementById('coupon').value }).then(function (r) {
        document.getElementById('coupon-help').textContent = r.ok ? '' : 'This coupon is not valid.';
        if (!r.ok) console.warn('coupon rejected', r.status);
      });
    });
    renderCart();
  }

  var form = document.getElementById('checkout-form');
  if (form) {
    document.getElementById('summary').innerHTML = cart().map(function (l) { var p = byId[l.id]; return '<p class="is-size-7">' + l.qty + ' × ' + esc(p.name) + ' <span class="is-pulled-right">€' + (p.price * l.qty).toFixed(2) + '</span></p>'; }).join('') || '<p>Empty</p>';
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var ok = true;
      form.querySelectorAll('input[required]').forEach(function (input) {
        var bad = !input.value || (input.type === 'email' && input.value.indexOf('@') < 0);
        input.classList.toggle('is-danger', bad);
        form.querySelector('[data-for="' + input.id + '"]').textContent = bad ? 'This field is required.' : '';
        if (bad) ok = false;
      });
      if (!ok) { console.warn('checkout: form has errors'); return; }
      fetch('/api/shop/orders', { method: 'POST', body: '{}' }).then(function (r) {
        if (!r.ok) throw new Error('payment service unavailable (' + r.status + ')');
      }).catch(function (err) { console.error(err); document.getElementById('place-order').textContent = 'Try again'; });
    });
  }

  var subscribe = document.getElementById('subscribe');
  if (subscribe) subscribe.addEventListener('click', function () { document.getElementById('newsletter-help').textContent = 'Thanks! Check your inbox.'; });
  document.querySelectorAll('.read-more').forEach(function (b) {
    b.addEventListener('click', function () { var p = document.createElement('p'); p.className = 'is-size-7 mt-2'; p.textContent = b.parentNode.querySelector('p').textContent; b.parentNode.insertBefore(p, b); b.remove(); });
  });
})();
