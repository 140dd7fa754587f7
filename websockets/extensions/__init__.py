"""WebSocket extensions (RFC 6455 9): the interface and permessage-deflate."""
