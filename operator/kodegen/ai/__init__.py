"""kodegen.ai: provider adapters, a router with failover, and what keeps AI honest and bounded."""
