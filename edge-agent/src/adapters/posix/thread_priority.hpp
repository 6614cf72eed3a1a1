#pragma once
// Bulk work (receiving and storing raw telemetry) runs at a lower CPU priority than the
// threads a member at a door waits for: on a two-core gateway also running the broker, a
// door decision then never waits for a telemetry burst to get off the CPU.

namespace spotter::edge {

// Lowers the calling thread's priority (Linux: threads have their own nice value). Lowering
// needs no privilege; false if the system refused, in which case nothing changed.
bool lower_this_thread_priority();

// Names the calling thread (at most 15 characters), so `top -H` shows which one is busy.
void name_this_thread(const char* name);

}  // namespace spotter::edge
