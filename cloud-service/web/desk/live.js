// The machine floor, live: WS /api/ws/machines, authenticated by its first message (so the
// token stays out of URLs and logs), subscribed to one branch; reconnects with backoff.
export class MachineFeed {
  constructor(tokenOf, onStatus, onState) {
    this.tokenOf = tokenOf;
    this.onStatus = onStatus;   // ({machine_id, state, ...}) on every change
    this.onState = onState;     // (connected: bool)
    this.branch = null;
    this.ws = null;
    this.retry = 500;
    this.stopped = true;
  }

  follow(branchId) {
    this.branch = branchId;
    this.stopped = false;
    if (this.ws) this.ws.close();
    else this.#open();
  }

  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close();
  }

  #open() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws/machines`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', access_token: this.tokenOf() }));
      ws.send(JSON.stringify({ type: 'subscribe', branch_ids: [this.branch] }));
      this.retry = 500;
      this.onState(true);
    };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      if (m && m.type === 'machine_status' && m.branch_id === this.branch) this.onStatus(m);
    };
    ws.onclose = () => {
      this.ws = null;
      this.onState(false);
      if (this.stopped) return;
      setTimeout(() => { if (!this.stopped && !this.ws) this.#open(); }, this.retry);
      this.retry = Math.min(this.retry * 2, 15000);
    };
  }
}
