// The local take's chunks in IndexedDB until the server confirmed them, so that a dropped connection or a page
// reload loses nothing: chunks (key [take, participant, index]) with their PCM and stamps, and per track the
// position to go on from (next index, segment, samples recorded). The camera's chunks (take-video.js) and
// positions have stores of their own ('videoChunks', 'videoTracks'): they count their own indexes.

const DB = 'improv-takes';
const VERSION = 2;

/** Object stores of one kind of chunk: the microphone's ('audio') or the camera's ('video'). */
const STORES = {
  audio: { chunks: 'chunks', tracks: 'tracks' },
  video: { chunks: 'videoChunks', tracks: 'videoTracks' },
};

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class TakeStore {
  static async open() {
    const r = indexedDB.open(DB, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      for (const kind of Object.values(STORES)) {
        if (!db.objectStoreNames.contains(kind.chunks)) db.createObjectStore(kind.chunks, { keyPath: ['take', 'participant', 'index'] });
        if (!db.objectStoreNames.contains(kind.tracks)) db.createObjectStore(kind.tracks, { keyPath: ['take', 'participant'] });
      }
    };
    const store = new TakeStore();
    store.db = await request(r);
    return store;
  }

  async put(storeName, value) {
    const tx = this.db.transaction(storeName, 'readwrite');
    tx.objectStore(storeName).put(value);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error); });
  }

  /** Keeps a chunk and its track's position in one transaction: both or neither. */
  async keep(chunk, track, kind = 'audio') {
    const names = STORES[kind];
    const tx = this.db.transaction([names.chunks, names.tracks], 'readwrite');
    tx.objectStore(names.chunks).put(chunk);
    tx.objectStore(names.tracks).put(track);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error); });
  }

  async remove(chunk) {
    const name = STORES[chunk.kind || 'audio'].chunks;
    const tx = this.db.transaction(name, 'readwrite');
    tx.objectStore(name).delete([chunk.take, chunk.participant, chunk.index]);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
  }

  async track(take, participant, kind = 'audio') {
    const name = STORES[kind].tracks;
    const tx = this.db.transaction(name, 'readonly');
    return (await request(tx.objectStore(name).get([take, participant]))) || null;
  }

  /** Every chunk not confirmed yet, of every take of this participant, microphone's and camera's. */
  async pending(participant) {
    const out = [];
    for (const [kind, names] of Object.entries(STORES)) {
      const tx = this.db.transaction(names.chunks, 'readonly');
      const all = await request(tx.objectStore(names.chunks).getAll());
      for (const c of all) if (c.participant === participant) out.push({ ...c, kind });
    }
    return out;
  }
}
