// The local take's chunks in IndexedDB until the server confirmed them, so that a dropped connection or a page
// reload loses nothing: chunks (key [take, participant, index]) with their PCM and stamps, and per track the
// position to go on from (next index, segment, samples recorded).

const DB = 'improv-takes';
const VERSION = 1;

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
      if (!db.objectStoreNames.contains('chunks')) db.createObjectStore('chunks', { keyPath: ['take', 'participant', 'index'] });
      if (!db.objectStoreNames.contains('tracks')) db.createObjectStore('tracks', { keyPath: ['take', 'participant'] });
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
  async keep(chunk, track) {
    const tx = this.db.transaction(['chunks', 'tracks'], 'readwrite');
    tx.objectStore('chunks').put(chunk);
    tx.objectStore('tracks').put(track);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error); });
  }

  async remove(chunk) {
    const tx = this.db.transaction('chunks', 'readwrite');
    tx.objectStore('chunks').delete([chunk.take, chunk.participant, chunk.index]);
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
  }

  async track(take, participant) {
    const tx = this.db.transaction('tracks', 'readonly');
    return (await request(tx.objectStore('tracks').get([take, participant]))) || null;
  }

  /** Every chunk not confirmed yet, of every take of this participant, in take and index order. */
  async pending(participant) {
    const tx = this.db.transaction('chunks', 'readonly');
    const all = await request(tx.objectStore('chunks').getAll());
    return all.filter((c) => c.participant === participant);
  }
}
