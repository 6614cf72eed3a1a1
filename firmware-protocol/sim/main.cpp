#include "spotter/protocol/sim/main.hpp"

int main(int argc, char** argv) { return spotter::sim::Main({argv + 1, argv + argc}); }
