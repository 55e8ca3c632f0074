"""The operator's page (`deploy/gateway/docs/ops.html`) turns real metrics into its tables.

Its script runs under Node with a minimal DOM stand-in and a `fetch` that serves this process's own
Prometheus exposition (spine.metrics, with a stuck relay, a stopped partition, dead letters and stuck
sagas set): the rows an operator would read come out. Skipped where Node is not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from spine import metrics

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parents[2] / "deploy/gateway/docs/ops.html"

HARNESS = r"""
const fs = require("fs");
const [script, metricsFile, out] = process.argv.slice(2);
const text = fs.readFileSync(metricsFile, "utf8");
function el(tag) { return { tag, children: [], style: {}, textContent: "", className: "", value: "",
  replaceChildren() { this.children = []; }, appendChild(c) { this.children.push(c); }, addEventListener() {} }; }
const els = {};
global.document = { getElementById: id => (els[id] ||= el(id)), createElement: el };
const store = { ep_ops_token: "token" };
global.sessionStorage = {
  getItem: k => store[k], setItem: (k, v) => { store[k] = v; }, removeItem: k => { delete store[k]; },
};
global.setInterval = () => 0;
global.fetch = async (path, init) => {
  if (!init || !init.headers || init.headers.Authorization !== "Bearer token") return { ok: false, status: 401 };
  if (path === "/metrics/bookings-worker") return { ok: true, status: 200, text: async () => text };
  if (path === "/health/bookings-worker") {
    return { ok: true, status: 200, json: async () => ({ status: "unhealthy", alarms: [] }) };
  }
  return { ok: false, status: 503, text: async () => "", json: async () => { throw new Error("no json"); } };
};
eval(fs.readFileSync(script, "utf8"));
setTimeout(() => {
  const tables = {};
  for (const id of ["processes", "relays", "consumers", "dlq", "sagas"])
    tables[id] = els[id].children.map(tr => tr.children.map(td => td.textContent));
  fs.writeFileSync(out, JSON.stringify(tables));
}, 300);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_ops_page_shows_stuck_relays_lag_dead_letters_and_stuck_sagas(tmp_path):
    relay, group, topic = "opspage.v1", "opspage.saga", "opspage.events.v1"
    metrics.RELAY_POSITION.labels(relay).set(10)
    metrics.RELAY_STORE_POSITION.labels(relay).set(12)
    metrics.RELAY_STUCK.labels(relay).set(1)
    metrics.CONSUMER_LAG.labels(group, topic, "0").set(3)
    metrics.CONSUMER_LAG.labels(group, topic, "1").set(4)
    metrics.CONSUMER_STOPPED.labels(group, topic, "1").set(1)
    metrics.DLQ_MESSAGES.labels(group, topic).inc(2)
    metrics.SAGA_STUCK.labels("opspage", "pending").set(5)
    (tmp_path / "metrics.txt").write_bytes(metrics.exposition()[0])
    script = re.search(r"<script>(.*)</script>", PAGE.read_text(), re.S).group(1)
    assert not re.search(r'src="https?://', PAGE.read_text()), "no CDN: the machine has no internet"
    (tmp_path / "ops.js").write_text(script)
    (tmp_path / "harness.js").write_text(HARNESS)
    subprocess.run(["node", str(tmp_path / "harness.js"), str(tmp_path / "ops.js"), str(tmp_path / "metrics.txt"),
                    str(tmp_path / "out.json")], check=True, timeout=30)
    tables = json.loads((tmp_path / "out.json").read_text())

    assert ["bookings-worker", "up", "unhealthy", ""] in tables["processes"]
    assert ["users-api", "unreachable (503)", "–", ""] in tables["processes"]
    assert [relay, "bookings-worker", "10", "12", "2", "0", "0", "STUCK"] in tables["relays"]
    (row,) = [r for r in tables["consumers"] if r[0] == group]
    assert row[1:4] == [topic, "7", "4"] and row[-1] == "STOPPED"
    assert [group, topic, "2", "0"] in tables["dlq"]
    assert ["opspage", "pending", "5", "0"] in tables["sagas"]
