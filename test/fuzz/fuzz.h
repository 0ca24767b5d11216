/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"

/* A property the input broke: say which, and abort so that libFuzzer keeps the input. */
#define FUZZ_FAIL(...)                                                                           \
        do {                                                                                     \
                fprintf(stderr, "fuzz: " __VA_ARGS__);                                           \
                fputc('\n', stderr);                                                             \
                abort();                                                                         \
        } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
