#include "cli.hpp"

int main(int argc, char** argv) { return gpuprobe::cli::run(argc, argv); }
