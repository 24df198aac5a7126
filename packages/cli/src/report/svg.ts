/** Inline SVG charts for the self-contained HTML report (no scripts, no external assets). */

/** Escape text for HTML/SVG content and attributes. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A vertical bar chart (histogram) with labelled axes. */
export function columnChart(o: { title: string; xLabel: string; yLabel: string; bars: { label: string; value: number }[]; width?: number; height?: number; color?: string }): string {
  const W = o.width ?? 560;
  const H = o.height ?? 300;
  const m = { top: 44, right: 16, bottom: 56, left: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const max = Math.max(1, ...o.bars.map((b) => b.value));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const bw = o.bars.length ? pw / o.bars.length : pw;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="ct">${esc(o.title)}</text>`);
  for (const t of ticks) {
    const y = m.top + ph - (t / top) * ph;
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" class="grid"/><text x="${m.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${t}</text>`);
  }
  o.bars.forEach((b, i) => {
    const h = (b.value / top) * ph;
    const x = m.left + i * bw + bw * 0.1;
    const y = m.top + ph - h;
    parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(bw * 0.8).toFixed(1)}" height="${h.toFixed(1)}" fill="${o.color ?? '#3b82f6'}"><title>${esc(b.label)}: ${b.value}</title></rect>`);
    if (b.value > 0) parts.push(`<text x="${(x + bw * 0.4).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" class="val">${b.value}</text>`);
    parts.push(`<text x="${(x + bw * 0.4).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle" class="tick">${esc(b.label)}</text>`);
  });
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" class="axis"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle" class="al">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" class="al">${esc(o.yLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** A horizontal bar chart, for many labelled categories (e.g. instances per modifier). */
export function barChart(o: { title: string; xLabel: string; bars: { label: string; value: number; color?: string }[]; width?: number }): string {
  const W = o.width ?? 760;
  const rowH = 22;
  const labelW = Math.min(300, Math.max(80, ...o.bars.map((b) => b.label.length * 7 + 12)));
  const m = { top: 36, right: 40, bottom: 40, left: labelW };
  const ph = Math.max(rowH, o.bars.length * rowH);
  const H = m.top + ph + m.bottom;
  const pw = W - m.left - m.right;
  const max = Math.max(1, ...o.bars.map((b) => b.value));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="ct">${esc(o.title)}</text>`);
  for (const t of ticks) {
    const x = m.left + (t / top) * pw;
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" class="grid"/><text x="${x}" y="${m.top + ph + 16}" text-anchor="middle" class="tick">${t}</text>`);
  }
  o.bars.forEach((b, i) => {
    const y = m.top + i * rowH;
    const w = (b.value / top) * pw;
    parts.push(`<text x="${m.left - 6}" y="${y + rowH * 0.68}" text-anchor="end" class="tick">${esc(b.label)}</text>`);
    parts.push(`<rect x="${m.left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.color ?? '#10b981'}"><title>${esc(b.label)}: ${b.value}</title></rect>`);
    parts.push(`<text x="${(m.left + w + 4).toFixed(1)}" y="${y + rowH * 0.68}" class="val">${b.value}</text>`);
  });
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" class="axis"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 8}" text-anchor="middle" class="al">${esc(o.xLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** Round axis ticks from 0 to at least `max` (about 5 steps of 1, 2 or 5 × 10^k). */
export function niceTicks(max: number): number[] {
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * pow).find((s) => s >= raw) ?? pow * 10);
  const ticks: number[] = [];
  for (let t = 0; t < max + step; t += step) {
    ticks.push(Math.round(t * 1000) / 1000);
    if (t >= max) break;
  }
  return ticks;
}
