"""The web UI: one server-rendered page and small plain-JS files that call the public APIs."""
