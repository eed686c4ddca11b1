/* fuzz.h - what every fuzz target (tests/fuzz/fuzz_NAME.c) defines: the
 * libFuzzer entry point, which replay.c also calls for each input of the
 * target's corpus, so that make check replays them without clang. */
#ifndef VENTO_FUZZ_H
#define VENTO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; returns 0 (libFuzzer's convention). A bug shows as a
 * sanitizer report, an abort, or a leak. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
