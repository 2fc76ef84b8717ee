// The moderator's live timeline: prompts, scenes, and each performer's turn and speaking spans on one time
// axis, drawn as SVG. Marks are placed at their serverTs (the performer's clock corrected by its measured
// offset) when present, else at the server's receive stamp ts. Times are µs since the epoch.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const LABEL = 130;
const ROW = 30;
const AXIS = 24;
const MIN_WINDOW_US = 60e6;
const MAX_WINDOW_US = 10 * 60e6;

/** Widest character of the 12 px label font, in viewBox units (the SVG is 1000 units wide). */
const LABEL_CHAR_WIDTH = 7.5;
const MAX_LABEL_CHARS = 28;

/** The text cut to {@code chars} characters with an ellipsis; empty when fewer than three characters fit. */
function fitLabel(text, chars) {
  if (chars < 3) return '';
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Where a mark belongs on the server timeline. */
export function markTime(event) {
  return typeof event.serverTs === 'number' ? event.serverTs : event.ts;
}

export class Timeline {
  constructor(container) {
    this.container = container;
    this.prompts = [];
    this.scenes = [];
    /** performer id -> {name, turn: [{start, end}], speaking: [{start, end}]} */
    this.rows = new Map();
    this.start = null;
  }

  row(id, name) {
    let row = this.rows.get(id);
    if (!row) {
      row = { name: name || id, turn: [], speaking: [] };
      this.rows.set(id, row);
    } else if (name) {
      row.name = name;
    }
    return row;
  }

  /** Adds one room event; events of other types are ignored. */
  add(event, nameOf = (id) => id) {
    if (this.start === null && typeof event.ts === 'number') this.start = event.ts;
    switch (event.type) {
      case 'prompt':
        this.prompts.push({ t: event.ts, text: event.text, durationMs: event.durationMs });
        break;
      case 'scene_started':
        this.scenes.push({ start: event.ts, end: null, title: event.title || `Scene ${event.scene}` });
        break;
      case 'scene_ended':
        if (this.scenes.length && this.scenes[this.scenes.length - 1].end === null) {
          this.scenes[this.scenes.length - 1].end = event.ts;
        }
        break;
      case 'member_joined':
        if (event.member && event.member.role === 'performer') this.row(event.member.id, event.member.name);
        break;
      case 'mark': {
        const row = this.row(event.actor, nameOf(event.actor));
        const kind = event.kind.startsWith('turn') ? 'turn' : 'speaking';
        const spans = row[kind];
        const t = markTime(event);
        const open = spans.length && spans[spans.length - 1].end === null ? spans[spans.length - 1] : null;
        if (event.kind === 'turn_start' || event.kind === 'speaking_start') {
          if (!open) spans.push({ start: t, end: null });
        } else if (open) {
          open.end = Math.max(t, open.start);
        }
        break;
      }
      default:
    }
  }

  /** Draws the whole timeline again for the time {@code nowUs} (server clock). */
  render(nowUs) {
    const end = nowUs;
    const span = Math.min(MAX_WINDOW_US, Math.max(MIN_WINDOW_US, end - (this.start ?? end)));
    const from = end - span;
    const x = (t) => LABEL + ((Math.max(t, from) - from) / span) * (WIDTH - LABEL - 10);
    const rows = [...this.rows.entries()];
    const height = AXIS + ROW * (rows.length + 1) + 6;
    const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'timeline-svg', role: 'img',
      'aria-label': 'Timeline of prompts, turns and speaking' });
    // axis: a tick every 10 s (or every minute for long windows)
    const step = span > 4 * 60e6 ? 60e6 : 10e6;
    for (let t = Math.ceil(from / step) * step; t <= end; t += step) {
      root.append(svg('line', { x1: x(t), x2: x(t), y1: AXIS - 4, y2: height, class: 'tick' }));
      const d = new Date(t / 1000);
      const label = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
      root.append(svg('text', { x: x(t) + 2, y: 14, class: 'tick-label' }, label));
    }
    for (const s of this.scenes) {
      if ((s.end ?? end) < from) continue;
      root.append(svg('rect', { x: x(s.start), y: AXIS, width: Math.max(1, x(s.end ?? end) - x(s.start)),
        height: height - AXIS, class: 'scene' }));
    }
    let y = AXIS;
    root.append(svg('text', { x: 4, y: y + ROW / 2 + 4, class: 'row-label' }, 'Prompts'));
    // Each label gets the room up to the next prompt's line and no more: prompts a few seconds apart used to
    // draw their labels over each other into a smear. The full text stays in the tooltip.
    const shown = this.prompts.filter((p) => p.t >= from);
    shown.forEach((p, i) => {
      const g = svg('g', { class: 'prompt' });
      g.append(svg('title', {}, p.text));
      g.append(svg('line', { x1: x(p.t), x2: x(p.t), y1: y + 2, y2: height, class: 'prompt-line' }));
      if (p.durationMs) {
        g.append(svg('rect', { x: x(p.t), y: y + 4, height: ROW - 8, class: 'prompt-duration',
          width: Math.max(1, x(Math.min(end, p.t + p.durationMs * 1000)) - x(p.t)) }));
      }
      const room = (i + 1 < shown.length ? x(shown[i + 1].t) : WIDTH - 4) - x(p.t) - 6;
      const text = fitLabel(p.text, Math.min(MAX_LABEL_CHARS, Math.floor(room / LABEL_CHAR_WIDTH)));
      if (text) {
        g.append(svg('text', { x: x(p.t) + 3, y: y + ROW / 2 + 4, class: 'prompt-label' }, text));
      }
      root.append(g);
    });
    for (const [id, row] of rows) {
      y += ROW;
      root.append(svg('text', { x: 4, y: y + ROW / 2 + 4, class: 'row-label' }, row.name));
      for (const kind of ['turn', 'speaking']) {
        for (const s of row[kind]) {
          const stop = s.end ?? end;
          if (stop < from) continue;
          const top = kind === 'turn' ? y + 3 : y + 12;
          root.append(svg('rect', { x: x(s.start), y: top, width: Math.max(2, x(stop) - x(s.start)),
            height: kind === 'turn' ? ROW - 6 : ROW - 18, class: `span ${kind}${s.end === null ? ' open' : ''}`,
            'data-member': id }));
        }
      }
    }
    root.append(svg('line', { x1: x(end), x2: x(end), y1: AXIS - 4, y2: height, class: 'now' }));
    this.container.replaceChildren(root);
  }

  /** Counts for tests and the status line. */
  counts() {
    let turn = 0;
    let speaking = 0;
    for (const row of this.rows.values()) {
      turn += row.turn.length;
      speaking += row.speaking.length;
    }
    return { prompts: this.prompts.length, turn, speaking };
  }
}
