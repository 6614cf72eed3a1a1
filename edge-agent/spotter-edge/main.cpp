#include "spotter/edge/main.hpp"

int main(int argc, char** argv) { return spotter::edge::Main({argv + 1, argv + argc}); }
