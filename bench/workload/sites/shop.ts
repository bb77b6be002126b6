// "Fjellstue": an outdoor-gear shop on Bulma's full stylesheet, with base64 PNG thumbnails
// inlined as data: URLs, a catalog grid that re-renders on filter/sort and grows on "load more",
// product pages with a gallery and tabs, a cart drawer, a cart page and a checkout form (shop.js).

import { Rng } from '../../../testkit/prng.ts';
import { escapeHtml, paragraph, sentence, title, words } from '../sample-text.ts';
import { pngDataUrl } from './png.ts';

export const SHOP_PAGES = ['index.html', 'catalog.html', 'cart.html', 'checkout.html'] as const;

const CATEGORIES = ['Tents', 'Backpacks', 'Jackets', 'Boots', 'Cookware', 'Lights'];
const BRANDS = ['Nordkapp', 'Vidde', 'Rype', 'Skare', 'Lavvo', 'Fonn', 'Tind'];

export interface Product {
  id: number;
  name: string;
  category: string;
  brand: string;
  price: number;
  rating: number;
  reviews: number;
  thumb: string;
  blurb: string;
}

export const PRODUCTS: Product[] = (() => {
  const rng = new Rng('shop-products');
  return Array.from({ length: 96 }, (_, i) => ({
    id: i + 1,
    name: `${rng.pick(BRANDS)} ${title(rng, 1, 3)}`,
    category: rng.pick(CATEGORIES),
    brand: rng.pick(BRANDS),
    price: rng.int(9, 780) + 0.95,
    rating: rng.int(20, 50) / 10,
    reviews: rng.int(0, 900),
    thumb: pngDataUrl(`shop-thumb-${i + 1}`, 48, 48, 2),
    blurb: sentence(rng),
  }));
})();

function card(p: Product): string {
  return `<div class="column is-3"><div class="card product-card" data-id="${p.id}">
  <div class="card-image"><figure class="image is-4by3"><img src="${p.thumb}" alt="${escapeHtml(p.name)}" style="image-rendering: pixelated; object-fit: cover"></figure></div>
  <div class="card-content"><p class="title is-6"><a href="product-${p.id}.html">${escapeHtml(p.name)}</a></p><p class="subtitle is-7">${p.brand} · ${p.category}</p>
  <p class="is-size-7">${'★'.repeat(Math.round(p.rating))}${'☆'.repeat(5 - Math.round(p.rating))} <span class="has-text-grey">(${p.reviews})</span></p>
  <div class="level is-mobile mt-2"><div class="level-left"><strong>€${p.price.toFixed(2)}</strong></div><div class="level-right"><button class="button is-small is-primary add-to-cart" data-id="${p.id}">Add to cart</button></div></div></div>
</div></div>`;
}

function layout(heading: string, body: string, data: unknown): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)} · Fjellstue</title>
<link rel="stylesheet" href="/vendor/bulma/css/bulma.css">
<style>
  .cart-drawer { position: fixed; top: 0; right: 0; width: 380px; height: 100vh; background: var(--bulma-scheme-main); box-shadow: -4px 0 24px rgba(0,0,0,.15); transform: translateX(100%); transition: transform .25s ease; z-index: 40; overflow-y: auto; }
  .cart-drawer.is-open { transform: none; }
  .product-card { height: 100%; }
  .gallery-thumb { cursor: pointer; border: 2px solid transparent; }
  .gallery-thumb.is-selected { border-color: var(--bulma-primary); }
</style>
</head>
<body>
<nav class="navbar is-white has-shadow" aria-label="main navigation">
  <div class="navbar-brand"><a class="navbar-item has-text-weight-bold is-size-5" href="index.html">Fjellstue</a></div>
  <div class="navbar-menu is-active">
    <div class="navbar-start">
      <a class="navbar-item" href="catalog.html">All gear</a>
      <div class="navbar-item has-dropdown is-hoverable"><a class="navbar-link" href="catalog.html">Categories</a><div class="navbar-dropdown">${CATEGORIES.map((c) => `<a class="navbar-item" href="catalog.html#${c}">${c}</a>`).join('')}</div></div>
      <a class="navbar-item" href="index.html#stories">Stories</a>
    </div>
    <div class="navbar-end">
      <div class="navbar-item"><input class="input is-small is-rounded" type="search" id="shop-search" placeholder="Search gear"></div>
      <div class="navbar-item"><button class="button is-light" id="open-cart">Cart <span class="tag is-primary is-rounded ml-2" id="cart-count">0</span></button></div>
    </div>
  </div>
</nav>
${body}
<footer class="footer"><div class="content has-text-centered is-size-7">Fjellstue · ${words(new Rng('shop-footer'), 8, 14)}</div></footer>
<aside class="cart-drawer p-4" id="cart-drawer" aria-label="Cart"><div class="level"><div class="level-left"><h2 class="title is-5">Your cart</h2></div><div class="level-right"><button class="delete" id="close-cart" aria-label="close"></button></div></div><div id="cart-items"></div><a class="button is-primary is-fullwidth mt-4" href="cart.html">View cart</a></aside>
<div class="notification is-success is-light" id="added" style="position: fixed; bottom: 16px; left: 16px; display: none; z-index: 50"></div>
<script id="page-data" type="application/json">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script src="/sites/shop.js"></script>
</body>
</html>`;
}

/** What the cart drawer and cart page need of every product, so they can render from localStorage. */
const CATALOG_INDEX = PRODUCTS.map((p) => ({ id: p.id, name: p.name, price: p.price, thumb: p.thumb }));

export function shopPage(page: string): string | null {
  const rng = new Rng(`shop-${page}`);
  if (page === 'index.html') {
    const featured = rng.shuffle([...PRODUCTS]).slice(0, 12);
    return layout(
      'Gear for the long way round',
      `<section class="hero is-primary is-medium"><div class="hero-body"><p class="title">Gear for the long way round</p><p class="subtitle">${escapeHtml(sentence(rng))}</p><a class="button is-white" href="catalog.html">Shop all gear</a></div></section>
      <section class="section"><h2 class="title is-4">Featured</h2><div class="columns is-multiline">${featured.map(card).join('')}</div></section>
      <section class="section" id="stories"><h2 class="title is-4">Stories</h2><div class="columns">${Array.from({ length: 3 }, (_, i) => `<div class="column"><div class="box"><h3 class="title is-6">${escapeHtml(title(rng, 3, 6))}</h3><p class="is-size-7">${escapeHtml(paragraph(rng, 3, 5))}</p><button class="button is-small is-text read-more" data-story="${i}">Read more</button></div></div>`).join('')}</div></section>
      <section class="section"><div class="box"><h3 class="title is-6">Newsletter</h3><div class="field has-addons"><div class="control is-expanded"><input class="input" type="email" id="newsletter-email" placeholder="you@example.com"></div><div class="control"><button class="button is-info" id="subscribe">Subscribe</button></div></div><p class="help" id="newsletter-help"></p></div></section>`,
      { index: CATALOG_INDEX },
    );
  }
  if (page === 'catalog.html') {
    return layout(
      'All gear',
      `<section class="section"><div class="columns">
        <div class="column is-2"><aside class="menu"><p class="menu-label">Category</p><ul class="menu-list">${CATEGORIES.map((c) => `<li><label class="checkbox"><input type="checkbox" class="cat-filter" value="${c}"> ${c}</label></li>`).join('')}</ul>
          <p class="menu-label">Brand</p><ul class="menu-list">${BRANDS.map((b) => `<li><label class="checkbox"><input type="checkbox" class="brand-filter" value="${b}"> ${b}</label></li>`).join('')}</ul>
          <p class="menu-label">Max price</p><input class="slider is-fullwidth" type="range" id="max-price" min="10" max="800" value="800"><p class="is-size-7" id="max-price-label">€800</p></aside></div>
        <div class="column"><div class="level"><div class="level-left"><p id="result-count" class="is-size-7"></p></div><div class="level-right"><div class="select is-small"><select id="sort"><option value="featured">Featured</option><option value="price-asc">Price: low to high</option><option value="price-desc">Price: high to low</option><option value="rating">Best rated</option><option value="name">Name</option></select></div></div></div>
          <div class="columns is-multiline" id="grid"></div><div class="has-text-centered"><button class="button" id="load-more">Load more</button></div></div>
      </div></section>`,
      { products: PRODUCTS, index: CATALOG_INDEX },
    );
  }
  const product = /^product-(\d+)\.html$/.exec(page);
  if (product) {
    const p = PRODUCTS[Number(product[1]) - 1];
    if (!p) return null;
    const prng = new Rng(`shop-product-${p.id}`);
    const images = Array.from({ length: 4 }, (_, i) => pngDataUrl(`shop-product-${p.id}-${i}`, 320, 240, 0));
    const related = prng.shuffle(PRODUCTS.filter((x) => x.category === p.category && x.id !== p.id)).slice(0, 4);
    return layout(
      p.name,
      `<section class="section"><nav class="breadcrumb is-small"><ul><li><a href="index.html">Home</a></li><li><a href="catalog.html">${p.category}</a></li><li class="is-active"><a href="#">${escapeHtml(p.name)}</a></li></ul></nav>
      <div class="columns"><div class="column is-6"><figure class="image is-4by3"><img id="main-image" src="${images[0]}" alt=""></figure>
        <div class="columns is-mobile mt-2">${images.map((src, i) => `<div class="column"><img class="gallery-thumb ${i ? '' : 'is-selected'}" src="${src}" data-index="${i}" alt=""></div>`).join('')}</div></div>
      <div class="column"><h1 class="title">${escapeHtml(p.name)}</h1><p class="subtitle">€${p.price.toFixed(2)}</p><p>${escapeHtml(paragraph(prng, 3, 5))}</p>
        <div class="field is-grouped mt-4"><div class="control"><div class="select"><select id="size">${['XS', 'S', 'M', 'L', 'XL'].map((s) => `<option>${s}</option>`).join('')}</select></div></div>
        <div class="control"><input class="input" type="number" id="qty" value="1" min="1" max="9" style="width: 80px"></div>
        <div class="control"><button class="button is-primary add-to-cart" data-id="${p.id}">Add to cart</button></div></div>
        <div class="tabs mt-5"><ul>${['Description', 'Specifications', 'Reviews'].map((t, i) => `<li class="${i ? '' : 'is-active'}"><a data-tab="${i}">${t}</a></li>`).join('')}</ul></div>
        <div class="tab-panel content" data-panel="0">${Array.from({ length: 3 }, () => `<p>${escapeHtml(paragraph(prng))}</p>`).join('')}</div>
        <div class="tab-panel" data-panel="1" hidden><table class="table is-fullwidth is-striped">${Array.from({ length: 10 }, () => `<tr><th>${escapeHtml(title(prng, 1, 2))}</th><td>${prng.int(1, 999)} ${prng.pick(['g', 'cm', 'mm', 'l', 'h'])}</td></tr>`).join('')}</table></div>
        <div class="tab-panel" data-panel="2" hidden>${Array.from({ length: 8 }, () => `<article class="media"><div class="media-content"><p><strong>${escapeHtml(title(prng, 1, 2))}</strong> ${'★'.repeat(prng.int(1, 5))}<br>${escapeHtml(paragraph(prng, 1, 3))}</p></div></article>`).join('')}</div>
      </div></div>
      <h2 class="title is-5 mt-5">You may also like</h2><div class="columns is-multiline">${related.map(card).join('')}</div></section>`,
      { images, index: CATALOG_INDEX },
    );
  }
  if (page === 'cart.html') {
    return layout(
      'Cart',
      `<section class="section"><h1 class="title">Cart</h1><table class="table is-fullwidth"><thead><tr><th></th><th>Product</th><th>Price</th><th>Qty</th><th>Total</th><th></th></tr></thead><tbody id="cart-rows"></tbody><tfoot><tr><th colspan="4">Total</th><th id="cart-total"></th><th></th></tr></tfoot></table>
      <div class="field has-addons"><div class="control"><input class="input" id="coupon" placeholder="Coupon code"></div><div class="control"><button class="button" id="apply-coupon">Apply</button></div></div><p class="help is-danger" id="coupon-help"></p>
      <a class="button is-primary is-medium" href="checkout.html">Checkout</a></section>`,
      { index: CATALOG_INDEX },
    );
  }
  if (page === 'checkout.html') {
    const field = (id: string, label: string, type = 'text', extra = ''): string =>
      `<div class="field"><label class="label" for="${id}">${label}</label><div class="control"><input class="input" id="${id}" type="${type}" ${extra}></div><p class="help is-danger" data-for="${id}"></p></div>`;
    return layout(
      'Checkout',
      `<section class="section"><div class="columns"><div class="column is-7"><h1 class="title">Checkout</h1><form id="checkout-form" novalidate>
        <h2 class="title is-6">Contact</h2>${field('name', 'Full name', 'text', 'required')}${field('email', 'Email', 'email', 'required')}${field('phone', 'Phone', 'tel')}
        <h2 class="title is-6 mt-5">Shipping address</h2>${field('street', 'Street', 'text', 'required')}<div class="columns"><div class="column">${field('zip', 'Postcode', 'text', 'required')}</div><div class="column">${field('city', 'City', 'text', 'required')}</div></div>
        <div class="field"><label class="label" for="country">Country</label><div class="select is-fullwidth"><select id="country">${['Norway', 'Sweden', 'Denmark', 'Finland', 'Iceland', 'Germany'].map((c) => `<option>${c}</option>`).join('')}</select></div></div>
        <h2 class="title is-6 mt-5">Payment</h2>${field('card', 'Card number', 'text', 'required inputmode="numeric" autocomplete="cc-number"')}<div class="columns"><div class="column">${field('expiry', 'Expiry', 'text', 'required')}</div><div class="column">${field('cvc', 'CVC', 'password', 'required')}</div></div>
        <label class="checkbox"><input type="checkbox" id="save-details"> Save my details for next time</label>
        <div class="mt-4"><button class="button is-primary is-medium" type="submit" id="place-order">Place order</button></div></form></div>
        <div class="column"><div class="box"><h2 class="title is-6">Order summary</h2><div id="summary"></div></div></div></div></section>`,
      { index: CATALOG_INDEX },
    );
  }
  return null;
}
