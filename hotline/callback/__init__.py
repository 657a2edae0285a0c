"""预约回拨 (call-back at peaks, virtual hold): docs/architecture.md."""
