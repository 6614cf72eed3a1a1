#include "spotter/cloud/service.hpp"

int main(int argc, char** argv) { return spotter::cloud::Main({argv + 1, argv + argc}); }
