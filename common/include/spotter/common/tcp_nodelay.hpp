#pragma once
// Paho MQTT C 1.3.12 leaves Nagle's algorithm on for its sockets, and it has no option to
// turn it off. With small MQTT packets, Nagle plus the broker's delayed ACK holds each
// reply about 40 ms (measured: door decisions at 88 ms p50 end to end, 1-2 ms with this).
// This sets TCP_NODELAY on every TCP socket the process has open; call it from Paho's
// connected callback, when its new socket exists. Returns how many sockets it set.
namespace spotter {
int set_tcp_nodelay_on_open_sockets() noexcept;
}  // namespace spotter
