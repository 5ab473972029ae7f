//! A client for Alertmanager's API v2 (`GET /api/v2/alerts`).
